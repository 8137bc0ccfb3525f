// @ts-check
/**
 * The operator key of the operator pages (/map, /dashboard). Their data needs an operator key, sent like any client's:
 * `Authorization: Bearer` on reads and `?token=` on the WebSocket (browsers cannot set headers there). `npm start`
 * prints the pages' addresses with `#key=…`; the fragment never reaches a server or a Referer, and is moved to this
 * tab's sessionStorage (shared by both pages, so following a link between them keeps it) and out of the address bar.
 * Without a key (or with a refused one) the page asks through its `#key-form`.
 */

const KEY_STORAGE = 'deliverygo.operatorKey';

/** Moves `#key=…` from the address into sessionStorage (call once at load). */
export function takeKeyFromAddress() {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const key = fragment.get('key');
  if (!key) return;
  sessionStorage.setItem(KEY_STORAGE, key);
  fragment.delete('key');
  const rest = fragment.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}

/** @returns {string|null} */
export function operatorKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

/**
 * GET `path` with the operator key; a 401 or 403 asks the user for a key.
 * @param {string} path
 * @param {string} page what the page is called in the prompt ("map", "dashboard")
 */
export async function authedFetch(path, page) {
  const key = operatorKey();
  if (!key) {
    askForKey(`This ${page} needs an operator key.`);
    throw new Error('no operator key');
  }
  const res = await fetch(path, { cache: 'no-store', headers: { authorization: `Bearer ${key}` } });
  if (res.status === 401 || res.status === 403) askForKey('The operator key was refused. Enter another one.');
  return res;
}

/** Shows the key form (once) with `reason`. @param {string} reason */
export function askForKey(reason) {
  const form = /** @type {HTMLFormElement|null} */ (document.getElementById('key-form'));
  if (!form?.hidden) return;
  const why = document.getElementById('key-reason');
  if (why) why.textContent = reason;
  form.hidden = false;
  form.addEventListener(
    'submit',
    (event) => {
      event.preventDefault();
      const input = /** @type {HTMLInputElement|null} */ (document.getElementById('key-input'));
      const key = input?.value.trim();
      if (!key) return;
      sessionStorage.setItem(KEY_STORAGE, key);
      location.reload();
    },
    { once: true },
  );
}
