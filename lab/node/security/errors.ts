// Errors in ES's envelope: the router's EsHttpError, under the name the pure security/tasks modules use.
export { EsHttpError as LabEsError } from '../router.js';
