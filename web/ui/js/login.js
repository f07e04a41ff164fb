// The login page: POST /api/v1/login, then back to the page that asked.
const form = document.getElementById('login-form');
const error = document.getElementById('login-error');

function nextPage() {
  const next = new URLSearchParams(location.search).get('next') || '';
  // Only a route of this application: '#/...'.
  return next.startsWith('#/') ? '/' + next : '/';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  const user = document.getElementById('login-user').value;
  const password = document.getElementById('login-password').value;
  let res;
  let doc = null;
  try {
    res = await fetch('/api/v1/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ user, password }),
      credentials: 'same-origin',
    });
    doc = await res.json();
  } catch (err) {
    error.textContent = 'vigil-web is not reachable: ' + err.message;
    return;
  }
  if (res.ok) {
    location.assign(nextPage());
  } else if (res.status === 429) {
    error.textContent = 'Too many failed logins; retry in ' +
      (res.headers.get('Retry-After') || 'a few') + ' s.';
  } else {
    error.textContent = (doc && doc.message) || ('Login failed: HTTP ' + res.status);
  }
});
