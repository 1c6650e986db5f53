// Yeoman finds generators at generators/<name>/index.js; the generator is written in TypeScript
// (generators/app/generator.ts) and compiled to dist/.
export { default } from '../../dist/generators/app/generator.js';
