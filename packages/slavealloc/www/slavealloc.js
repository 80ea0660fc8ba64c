// The slavealloc pages' actions: PUT /api/<table>/<id> with the token the person pasted, kept in
// sessionStorage (this tab only, gone when it closes), then the page again to show the result.
const KEY = 'loopabull-token';
const token = document.getElementById('token');
const status = document.getElementById('status');
token.value = sessionStorage.getItem(KEY) || '';
token.addEventListener('input', () => sessionStorage.setItem(KEY, token.value));

function changesFor(action, row) {
  if (action === 'disable') return { enabled: false };
  if (action === 'enable') return { enabled: true };
  if (action === 'notes') return { notes: row.querySelector('input.notes').value };
  if (action === 'lock') {
    const value = row.querySelector('select.lock').value;
    return { locked_masterid: value ? Number(value) : null };
  }
  if (action === 'edit') {
    // Every [data-field] of the row: ids (and data-type="number") as numbers, an empty
    // template choice as null (the default template); the server checks each value.
    const body = {};
    for (const field of row.querySelectorAll('[data-field]')) {
      const { value } = field;
      const numeric = field.tagName === 'SELECT' || field.dataset.type === 'number';
      body[field.dataset.field] = !numeric ? value : value === '' ? null : Number(value);
    }
    return body;
  }
  return null;
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const row = button.closest('tr');
  const body = changesFor(button.dataset.action, row);
  if (!body) return;
  const name = row.dataset.name;
  status.textContent = `${name}: saving…`;
  let answer;
  try {
    const res = await fetch(`/api/${row.dataset.table}/${row.dataset.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.value}` },
      body: JSON.stringify(body),
    });
    answer = { ok: res.ok, status: res.status, json: await res.json().catch(() => ({})) };
  } catch (err) {
    status.textContent = `${name}: ${err.message}`;
    return;
  }
  if (!answer.ok) {
    status.textContent = `${name}: refused (${answer.status}) ${answer.json.error || ''}`;
    return;
  }
  status.textContent = `${name}: ${button.dataset.action} done`;
  location.reload();
});
