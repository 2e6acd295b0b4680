// Credentials never reach a message or a log line: any URL with a password (REDIS_URL, DATABASE_URL, a
// sentinel URL) is shown with the password replaced by ***.

/** The URL with its password (if any) replaced by ***; an unparseable one is not shown at all. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi;

/** Every `scheme://user:password@` inside free text, with the password replaced by ***. */
export function redactText(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1:***@');
}
