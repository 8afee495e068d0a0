// Sign-in with an operator token. The token goes to the control plane once, which answers with an
// HttpOnly session cookie; the page keeps no copy of it (no storage, the field is cleared).
import { session } from '../api.js';
import { h, heading, problemBox } from '../ui.js';

export function render(view) {
  const status = h('div', { class: 'status' });
  const input = h('input', { id: 'token', name: 'token', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false' });
  const form = h(
    'form',
    {
      class: 'sign-in card',
      on: {
        submit: async (event) => {
          event.preventDefault();
          const token = input.value.trim();
          status.replaceChildren();
          try {
            const current = await session.signIn(token);
            input.value = '';
            view.signedIn(current);
            const next = view.params.get('next');
            view.go(next && next.startsWith('/console') && !next.startsWith('/console/sign-in') ? next : '/console', { replace: true });
          } catch (e) {
            status.replaceChildren(problemBox(e));
            input.focus();
          }
        },
      },
    },
    h('label', { for: 'token' }, 'Operator token'),
    input,
    h('small', {}, 'An admin or viewer token (tgo-…) or the bootstrap admin token. It is exchanged for a session cookie and not kept by this page.'),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Sign in')),
    status,
  );
  view.main.append(heading('Sign in'), form);
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    // The quickstart prints a sign-in link with the token in the fragment (never sent to a server):
    // use it once and take it out of the address bar and the history at once.
    history.replaceState(null, '', location.pathname + location.search);
    input.value = fromLink;
    form.requestSubmit();
  } else {
    input.focus();
  }
}
