// Who may do what. Three roles, each including the one below it: a viewer reads; an operator also triggers,
// pauses, reruns, marks, reprocesses and retries files; an admin also manages users and clears the cache.
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A caller the API has identified. `via` says how: the dashboard's session cookie or a bearer token. */
export interface Identity {
  username: string;
  role: Role;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Whether `role` may do what `needed` may. */
export function allows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
