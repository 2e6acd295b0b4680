// What `orderflow users` loads when it runs (the store and the user functions), kept out of CLI start-up.
export { openStore } from '../store/open.js';
export { DbAuditLog } from '../auth/audit.js';
export { generatePassword } from '../auth/password.js';
export { addUser, createToken, listUsers, parseRole, removeUser, setPassword } from '../auth/auth-store.js';
