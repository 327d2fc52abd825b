// The seam between core modules and the playbook language library (controller/playbook/{expr,template}.ts,
// pure functions with no dependency back on modules): `assert`/`debug` evaluate expressions, `template`
// renders files. Kept in one place so modules do not each depend on that library's exact exports.
export { evalExpression, renderTemplateFile } from './lang-impl.js';
