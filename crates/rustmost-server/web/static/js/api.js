// HTTP client for API v4 as the browser uses it: cookie session (MMAUTHTOKEN), the
// X-Requested-With header the server needs to accept it, and the MMCSRF cookie echoed as
// X-CSRF-Token on every write. Failures become ApiError carrying the server's AppError.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `The server answered with status ${status}.`);
    this.status = status;
    this.id = (body && body.id) || '';
    this.requestId = (body && body.request_id) || '';
  }
}

let onSessionExpired = null;

/** Called once with a handler for 401s on calls that need a session. */
export function setSessionExpiredHandler(fn) {
  onSessionExpired = fn;
}

export function getCookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

/**
 * One API call. `path` is relative to /api/v4. Resolves with the decoded JSON (or null).
 * `opts.quiet401` skips the session-expired handler (used while probing for a session).
 */
export async function api(method, path, body, opts = {}) {
  const headers = { 'X-Requested-With': 'XMLHttpRequest', Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = getCookie('MMCSRF');
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api/v4' + path, init);
  } catch {
    throw new ApiError(0, {
      id: 'network',
      message: 'Cannot reach the server. Check your connection and try again.',
    });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data && typeof data === 'object' ? data : null);
    if (res.status === 401 && !opts.quiet401 && onSessionExpired &&
        err.id === 'api.context.session_expired.app_error') {
      onSessionExpired(err);
    }
    throw err;
  }
  return data;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body === undefined ? {} : body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);
