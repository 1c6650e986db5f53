// Render: the model laid out through the templates, in memory.
import type { Model } from '../model/index.js';
import { templates } from './compiled-templates.js';
import { FILES } from './files.js';

export interface RenderedFile {
  path: string;
  content: string;
  mode: number;
}

export function renderFiles(model: Model): RenderedFile[] {
  return FILES.filter((f) => !f.when || f.when(model)).map((f) => ({
    path: f.path,
    content: templates[f.template](model),
    mode: f.mode ?? 0o644,
  }));
}
