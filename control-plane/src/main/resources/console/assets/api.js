// Every call of the console goes to the admin API (/admin/v1) or the session endpoint, with the
// HttpOnly session cookie the browser adds by itself. Changes carry the session's CSRF token.

/** A refusal of the API: its application/problem+json document. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || `HTTP ${status}`;
    this.detail = problem.detail || '';
    this.field = problem.field || null;
  }
}

let csrfToken = null;
let onSignedOut = () => {};

/** The CSRF token of the current session (from the session endpoint, never from storage). */
export function setCsrfToken(token) {
  csrfToken = token;
}

/** Called when any call answers 401: the session ended. */
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

/** Query string of the entries that have a value. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') q.set(name, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function call(method, path, { body, params, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path + query(params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'Network error', detail: `the control plane did not answer (${e.message})` });
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  const json = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const error = new ApiError(response.status, json || { title: `HTTP ${response.status}` });
    if (response.status === 401 && !path.startsWith('/console/session')) onSignedOut(error);
    throw error;
  }
  return json;
}

export const api = {
  get: (path, params, signal) => call('GET', `/admin/v1${path}`, { params, signal }),
  // A body-less action (rotate, reset-quota) still sends {} as JSON: the admin API refuses a POST
  // body of any other media type, and an empty object is what "no options" means there.
  post: (path, body) => call('POST', `/admin/v1${path}`, { body: body ?? {} }),
  put: (path, body) => call('PUT', `/admin/v1${path}`, { body }),
  patch: (path, body) => call('PATCH', `/admin/v1${path}`, { body }),
  del: (path) => call('DELETE', `/admin/v1${path}`),
};

export const session = {
  current: () => call('GET', '/console/session'),
  signIn: (token) => call('POST', '/console/session', { body: { token } }),
  signOut: () => call('DELETE', '/console/session'),
};
