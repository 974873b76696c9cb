// The dashboard's API key, for a server that requires keys (docs/security.md): the sign-in strip,
// where the key is kept, the Authorization header on /v1 calls, and what a refusal does.
// Loaded before dashboard.js, which calls getJson, needKey and signedIn; this file calls back
// dashboard.js's refresh and clearNumbers. Plain JavaScript, no build step.
'use strict';

// The key lives in sessionStorage, not localStorage: it is kept only while this tab is open and is
// not shared with other tabs, so a key typed on a shared machine does not stay on its disk for the
// next person. It travels only as an Authorization header, never in a URL (URLs end up in server
// logs, proxies and the browser's history).
const KEY_STORAGE = 'tally.queryKey';
const auth = { key: storedKey(), needed: false };

/** A /v1 call answered 401 or 403: the server's reason, and the key it refused (null: none sent). */
class Refused extends Error {
  constructor(status, reason, key) {
    super(reason);
    this.status = status;
    this.key = key;
  }
}

function storedKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch (e) {
    return null; // storage blocked: the key lasts until the page reloads
  }
}

function storeKey(key) {
  try {
    if (key == null) sessionStorage.removeItem(KEY_STORAGE); else sessionStorage.setItem(KEY_STORAGE, key);
  } catch (e) { /* storage blocked */ }
}

function useKey() {
  const key = $('key').value.trim();
  if (!key) return showSignIn('refused', 'Paste a key first.');
  if (!/^[\x21-\x7e]+$/.test(key)) {
    return showSignIn('refused', 'An API key is printable ASCII without spaces (it looks like tly_sk_…).');
  }
  auth.key = key;
  auth.needed = false;
  storeKey(key);
  showSignIn('checking', 'Checking the key…');
  refresh();
}

function forgetKey() {
  auth.key = null;
  auth.needed = false;
  storeKey(null);
  $('key').value = '';
  clearNumbers();
  $('key-chip').hidden = true;
  refresh();
}

/** The server refused: show the strip, with its reason when a key was sent; drop that key. */
function needKey(refusal) {
  if (refusal.key !== auth.key) return; // answered for a key that was replaced meanwhile
  auth.needed = true;
  if (refusal.key != null) {
    auth.key = null;
    storeKey(null);
  }
  clearNumbers();
  $('key-chip').hidden = true;
  showSignIn(refusal.key == null ? 'needed' : 'refused',
    refusal.key == null ? '' : 'The server refused this key (HTTP ' + refusal.status + '): ' + refusal.message);
}

function showSignIn(stateName, message) {
  const strip = $('signin');
  strip.hidden = false;
  strip.dataset.state = stateName;
  $('signin-origin').textContent = location.origin; // the command names this server's own URL
  $('signin-error').textContent = message;
  document.body.dataset.auth = 'needed';
  if (stateName === 'needed' && document.activeElement === document.body) $('key').focus();
}

/** A /v1 call succeeded: hide the strip; name the key in use (its id, not its secret). */
function signedIn() {
  $('key').value = ''; // the key is in use: no need to keep it in the form
  $('signin').hidden = true;
  $('signin').dataset.state = '';
  $('signin-error').textContent = '';
  delete document.body.dataset.auth;
  const chip = $('key-chip');
  chip.hidden = auth.key == null;
  if (auth.key != null) {
    const m = /^(tly_[sp]k_[0-9a-f]{12})_/.exec(auth.key);
    $('key-id').textContent = m ? m[1] + '_…' : 'set';
  }
}

/** GETs JSON; a /v1 path carries the key, and its 401 or 403 throws {@link Refused}. */
async function getJson(path) {
  const headers = { Accept: 'application/json' };
  const key = path.startsWith('/v1/') ? auth.key : null;
  if (key != null) headers.Authorization = 'Bearer ' + key;
  const res = await fetch(path, { cache: 'no-store', headers });
  const body = await res.json().catch(() => ({ error: 'not JSON (HTTP ' + res.status + ')' }));
  if (path.startsWith('/v1/') && (res.status === 401 || res.status === 403)) {
    throw new Refused(res.status, body.error || 'HTTP ' + res.status, key);
  }
  return { ok: res.ok, status: res.status, body };
}

function bindKeyControls() {
  $('key-use').addEventListener('click', useKey);
  $('key').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') useKey();
  });
  $('key-forget').addEventListener('click', forgetKey);
}
