// What the admin commands run, imported lazily by admin-commands.ts.
export { ADMIN_USER, ensureAdmin } from '../api/auth-store.js';
export { generatePassword } from '../api/password.js';
export { openStore } from '../store/open.js';
