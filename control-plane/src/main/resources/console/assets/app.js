// The console's shell: the session, the navigation, and a router that renders the view named by
// the path; the query string holds each view's state, so every view can be shared and reloaded.
import { session, setCsrfToken, whenSignedOut } from './api.js';
import { h } from './ui.js';
import * as signIn from './pages/sign-in.js';
import * as overview from './pages/overview.js';
import * as keys from './pages/keys.js';
import * as key from './pages/key.js';
import * as users from './pages/users.js';
import * as user from './pages/user.js';
import * as providers from './pages/providers.js';
import * as providerKey from './pages/provider-key.js';
import * as errors from './pages/errors.js';
import * as audit from './pages/audit.js';
import * as tokens from './pages/tokens.js';

const ROUTES = [
  [/^\/console\/?$/, overview, 'Overview'],
  [/^\/console\/sign-in$/, signIn, 'Sign in'],
  [/^\/console\/keys$/, keys, 'Keys'],
  [/^\/console\/keys\/(\d+)$/, key, 'Key'],
  [/^\/console\/users$/, users, 'Users'],
  [/^\/console\/users\/(\d+)$/, user, 'User'],
  [/^\/console\/providers$/, providers, 'Providers'],
  [/^\/console\/provider-keys\/(\d+)$/, providerKey, 'Provider key'],
  [/^\/console\/errors$/, errors, 'Errors'],
  [/^\/console\/audit$/, audit, 'Audit log'],
  [/^\/console\/tokens$/, tokens, 'Operator tokens'],
];

const main = document.getElementById('main');
const state = { session: null, controller: null, firstRender: true };

function showSession(current) {
  state.session = current;
  setCsrfToken(current ? current.csrf_token : null);
  document.getElementById('nav').hidden = !current;
  document.getElementById('who').hidden = !current;
  if (current) {
    document.getElementById('who-name').textContent = `${current.actor} (${current.role})`;
    document.body.dataset.role = current.role;
  } else {
    delete document.body.dataset.role;
  }
}

/** Goes to a console URL (pushes history unless replace), then renders it. */
export function go(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

function signInUrl() {
  const here = location.pathname + location.search;
  return here.startsWith('/console/sign-in') ? here : `/console/sign-in?next=${encodeURIComponent(here)}`;
}

function render() {
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;
  const path = location.pathname.replace(/\/$/, '') || '/console';
  const match = ROUTES.map(([re, page, name]) => [path.match(re), page, name]).find(([m]) => m);
  main.dataset.state = 'loading';
  main.setAttribute('aria-busy', 'true');
  if (!match) {
    main.replaceChildren(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/console' }, 'Back to the overview')));
    markReady(controller);
    return;
  }
  const [m, page, name] = match;
  document.title = `${name} · Tollgate console`;
  for (const a of document.querySelectorAll('#nav a')) {
    const href = a.getAttribute('href');
    const current = href === '/console' ? path === '/console' : path.startsWith(href);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = {
    main,
    path,
    id: m[1] ? Number(m[1]) : null,
    params: new URLSearchParams(location.search),
    signal: controller.signal,
    session: state.session,
    go,
    /** The current view's URL with some query parameters changed (null removes one). */
    link(changes) {
      const params = new URLSearchParams(location.search);
      for (const [k, v] of Object.entries(changes)) {
        if (v === null || v === undefined || v === '') params.delete(k);
        else params.set(k, String(v));
      }
      const q = params.toString();
      return q ? `${path}?${q}` : path;
    },
    /** Runs fn every ms while this view is shown. */
    every(ms, fn) {
      const timer = setInterval(fn, ms);
      controller.signal.addEventListener('abort', () => clearInterval(timer));
    },
    signedIn: showSession,
    reload: () => render(),
  };
  main.replaceChildren();
  // Ready once the role is known too, so what is shown (actions or not) no longer changes.
  Promise.all([page.render(view), sessionKnown])
    .catch((e) => {
      if (e.name !== 'AbortError') main.append(h('div', { class: 'problem', role: 'alert' }, String(e.message || e)));
    })
    .finally(() => markReady(controller));
  if (!state.firstRender) {
    const title = main.querySelector('h1');
    (title || main).focus();
  }
  state.firstRender = false;
}

/** The view is drawn with its data: tests and the load benchmark wait for this. */
function markReady(controller) {
  if (controller.signal.aborted) return;
  main.dataset.state = 'ready';
  main.removeAttribute('aria-busy');
  if (!performance.getEntriesByName('console-ready').length) performance.mark('console-ready');
}

// Links inside the console navigate without reloading the page.
document.addEventListener('click', (event) => {
  const a = event.target.closest('a');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/console') || a.target) return;
  event.preventDefault();
  go(href);
});
window.addEventListener('popstate', render);

whenSignedOut(() => {
  showSession(null);
  if (!location.pathname.startsWith('/console/sign-in')) go(signInUrl(), { replace: true });
});

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await session.signOut();
  } finally {
    showSession(null);
    go('/console/sign-in', { replace: true });
  }
});

// The session and the first view's data are fetched at the same time: a signed-out browser gets
// 401 from both and lands on the sign-in form.
const sessionKnown = session.current().then(showSession, (e) => {
  if (e.status === 401) {
    showSession(null);
    if (!location.pathname.startsWith('/console/sign-in')) go(signInUrl(), { replace: true });
  }
});
render();
