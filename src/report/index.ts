/** The reporters: pure functions from the report model to text, by format name. */
export { FORMATS, getFormat, render, type Format, type FormatName, type RenderOptions } from './formats.js';
export { loadFormat } from './catalog.js';
export { renderJson } from './json.js';
export { renderTable } from './table.js';
