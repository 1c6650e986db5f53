// Yeoman finds generators at generators/<name>/index.js; the generator is written in TypeScript
// (generators/app/generator.ts), compiled to dist/ and bundled with yeoman-generator into
// dist/bundle/generator.js (scripts/bundle-cli.mjs).
export { default } from '../../dist/bundle/generator.js';
