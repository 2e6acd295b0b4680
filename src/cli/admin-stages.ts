// What the admin commands run, imported lazily by admin-commands.ts.
export { ADMIN_USER, ensureAdmin } from '../auth/auth-store.js';
export { generatePassword } from '../auth/password.js';
export { openStore } from '../store/open.js';
