// The status page's behaviour: reads the local API with the token kept in this tab's session
// storage, draws what it read, and sends staff actions. Everything shown is set with textContent,
// never parsed as HTML, so nothing from the agent can run as script here.
'use strict';

(function () {
  const TOKEN_KEY = 'gp-agent.token';
  const REFRESH_MS = 3000;
  const NOTICE_MS = 15000;
  const ATTENTION_STATES = 'state=failed&state=expired&limit=100';

  const COUNT_LABELS = [
    ['queued', 'Waiting'],
    ['sending', 'Sending'],
    ['retry-wait', 'Retrying'],
    ['acked', 'Delivered'],
    ['failed', 'Failed'],
    ['expired', 'Expired'],
  ];
  const ENDED_TRANSFER_STATES = ['closed', 'failed', 'complete'];

  const byId = (id) => document.getElementById(id);
  let refreshTimer = null;
  let refreshing = false;
  let lastGoodRefresh = null;
  let paused = false;

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function storedToken() {
    return window.sessionStorage.getItem(TOKEN_KEY) || '';
  }

  function errorText(body, status) {
    if (body && Array.isArray(body.errors) && body.errors.length > 0) {
      return body.errors.map((error) => error.message).join('; ');
    }
    return 'HTTP ' + status;
  }

  async function api(path, method) {
    const response = await fetch(path, {
      method: method || 'GET',
      headers: { Authorization: 'Bearer ' + storedToken(), Accept: 'application/json' },
      cache: 'no-store',
    });
    let body = null;
    try {
      body = await response.json();
    } catch (ignored) {
      body = null; // an empty or non-JSON body: the status says enough
    }
    if (!response.ok) {
      throw new ApiError(response.status, errorText(body, response.status));
    }
    return body;
  }

  // ---- small DOM helpers ----

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function cell(row, text, className) {
    const node = element('td', text, className);
    row.appendChild(node);
    return node;
  }

  function localTime(iso) {
    if (!iso) {
      return '—';
    }
    const date = new Date(iso);
    return isNaN(date.getTime()) ? iso : date.toLocaleString('en-GB');
  }

  // A notice about an action stays a while (sticky) so staff can read it across refreshes;
  // others last until the next good refresh.
  function showNotice(text, kind, sticky) {
    const notice = byId('notice');
    notice.textContent = text;
    notice.className = 'notice' + (kind === 'info' ? ' info' : '');
    notice.hidden = false;
    notice.dataset.sticky = sticky ? 'true' : 'false';
    if (sticky) {
      const shown = text;
      window.setTimeout(() => {
        if (notice.textContent === shown) {
          notice.dataset.sticky = 'false';
        }
      }, NOTICE_MS);
    }
  }

  function clearNotice() {
    byId('notice').hidden = true;
  }

  function setBanner(colour, text, detail) {
    const banner = byId('banner');
    banner.className = 'banner banner-' + colour;
    banner.dataset.state = colour;
    byId('banner-text').textContent = text;
    byId('banner-detail').textContent = detail || '';
  }

  // ---- token ----

  function askForToken(message) {
    byId('dashboard').hidden = true;
    byId('token-section').hidden = false;
    if (message) {
      showNotice(message);
    }
    setBanner('unknown', 'Token needed', 'Enter an API token below to see the agent.');
    byId('token-input').focus();
  }

  function useToken(event) {
    event.preventDefault();
    const value = byId('token-input').value.trim();
    if (!value) {
      return;
    }
    window.sessionStorage.setItem(TOKEN_KEY, value);
    byId('token-input').value = '';
    byId('token-section').hidden = true;
    clearNotice();
    refresh();
  }

  function forgetToken() {
    window.sessionStorage.removeItem(TOKEN_KEY);
    askForToken('The token was forgotten. Enter one to continue.');
  }

  // ---- drawing ----

  function overallState(status, attention) {
    const counts = status.counts || {};
    const waiting = (counts.queued || 0) + (counts['retry-wait'] || 0) + (counts.sending || 0);
    const transfers = status.gp2gp ? status.gp2gp.inProgress : 0;
    const storage = status.storage || { state: 'ok' };
    if (storage.state !== 'ok') {
      return ['red', storage.state === 'full' ? 'The agent\'s disk is full' : 'The agent\'s disk is failing',
        'New work is refused until this is fixed; what was already accepted is kept. ' +
        'Tell the practice\'s IT lead.'];
    }
    if (status.needsAttention > 0) {
      return ['red', status.needsAttention + ' message' + (status.needsAttention === 1 ? '' : 's') +
        ' need' + (status.needsAttention === 1 ? 's' : '') + ' attention',
        'Failed or expired: see the table below, retry or acknowledge.'];
    }
    if (status.paused) {
      return ['amber', 'Sending is paused',
        waiting + ' waiting. Submissions are still accepted and queued.'];
    }
    if (waiting > 0 || transfers > 0) {
      const parts = [];
      if (waiting > 0) {
        parts.push(waiting + ' message' + (waiting === 1 ? '' : 's') + ' on the way');
      }
      if (transfers > 0) {
        parts.push(transfers + ' record transfer' + (transfers === 1 ? '' : 's') + ' in progress');
      }
      return ['amber', 'Sending', parts.join('; ')];
    }
    const acknowledged = attention.filter((message) => message.acknowledged).length;
    return ['green', 'All flowing', acknowledged > 0
      ? acknowledged + ' acknowledged failure(s) below.' : 'Nothing waiting, nothing failed.'];
  }

  function drawCounts(status) {
    const counts = byId('counts');
    counts.replaceChildren();
    const add = (label, value, alert) => {
      const box = element('div', null, alert ? 'alert' : null);
      box.appendChild(element('dt', label));
      box.appendChild(element('dd', value));
      counts.appendChild(box);
    };
    add('Needs attention', status.needsAttention, status.needsAttention > 0);
    for (const [state, label] of COUNT_LABELS) {
      const value = (status.counts || {})[state] || 0;
      add(label, value, (state === 'failed' || state === 'expired') && value > 0);
    }
    if (status.gp2gp) {
      add('Transfers in progress', status.gp2gp.inProgress, false);
      add('Transfers failed', status.gp2gp.failed, status.gp2gp.failed > 0);
    }

    const times = ['Last sent: ' + localTime(status.lastSentAt),
      'last acknowledged: ' + localTime(status.lastAckedAt)];
    if (status.oldestQueuedAgeSeconds !== null && status.oldestQueuedAgeSeconds !== undefined) {
      times.push('oldest waiting for ' + Math.round(status.oldestQueuedAgeSeconds) + ' s');
    }
    if (status.lastTransportError) {
      times.push('last connection problem: ' + status.lastTransportError.code + ' at ' +
        localTime(status.lastTransportError.at));
    }
    byId('times').textContent = times.join('; ') + '.';

    paused = Boolean(status.paused);
    byId('pause-button').textContent = paused ? 'Resume sending' : 'Pause sending';
    byId('retry-all-button').disabled = !(status.counts &&
      (status.counts.failed > 0 || status.counts.expired > 0));
  }

  function actionButton(label, action, messageId) {
    const button = element('button', label, action);
    button.type = 'button';
    button.dataset.action = action;
    button.dataset.messageId = messageId;
    return button;
  }

  function drawAttention(messages) {
    const rows = byId('failed-rows');
    rows.replaceChildren();
    byId('failed-table').hidden = messages.length === 0;
    byId('failed-empty').hidden = messages.length > 0;
    for (const message of messages) {
      const row = element('tr', null, message.acknowledged ? 'acknowledged' : null);
      row.dataset.messageId = message.messageId;
      row.dataset.state = message.state;
      cell(row, message.messageId, 'id');
      cell(row, message.interaction + (message.businessId ? ' (' + message.businessId + ')' : ''));
      const why = cell(row, message.reason, 'reason');
      if (message.lastError && message.lastError.text) {
        why.appendChild(element('div', 'Spine said: ' + message.lastError.text, 'detail'));
      }
      cell(row, message.lastError ? message.lastError.code : message.state, 'code');
      cell(row, message.attempts);
      cell(row, localTime(message.createdAt));
      const actions = cell(row, null, 'row-actions');
      actions.appendChild(actionButton('Retry', 'retry', message.messageId));
      if (message.acknowledged) {
        actions.appendChild(element('span', ' Acknowledged', 'acknowledged-note'));
      } else {
        actions.appendChild(document.createTextNode(' '));
        actions.appendChild(actionButton('Acknowledge', 'acknowledge', message.messageId));
      }
      rows.appendChild(row);
    }
  }

  function size(bytes) {
    if (bytes >= 1024 * 1024) {
      return (bytes / (1024 * 1024)).toFixed(1) + ' MB';
    }
    return Math.max(1, Math.round(bytes / 1024)) + ' kB';
  }

  function drawProgress(td, transfer) {
    const done = transfer.partsReceived !== undefined ? transfer.partsReceived : transfer.partsSent;
    const bar = document.createElement('progress');
    let text = '';
    if (transfer.bytesExpected > 0) {
      bar.max = transfer.bytesExpected;
      bar.value = Math.min(transfer.bytesDone, transfer.bytesExpected);
      text = Math.floor(100 * bar.value / bar.max) + '%: ' + size(transfer.bytesDone) + ' of ' +
        size(transfer.bytesExpected);
    } else if (transfer.partsExpected > 0) {
      bar.max = transfer.partsExpected;
      bar.value = Math.min(done || 0, transfer.partsExpected);
      text = (done || 0) + ' of ' + transfer.partsExpected + ' parts';
    } else if (ENDED_TRANSFER_STATES.includes(transfer.state)) {
      bar.max = 1;
      bar.value = transfer.state === 'failed' ? 0 : 1;
    } else {
      text = 'waiting for the record'; // no value: the bar shows activity, not an amount
    }
    if (transfer.partsExpected > 0 && transfer.bytesExpected > 0) {
      text += ' (' + (done || 0) + ' of ' + transfer.partsExpected + ' parts)';
    }
    td.appendChild(bar);
    td.appendChild(element('span', text, 'progress-text'));
  }

  function drawTransfers(transfers) {
    const rows = byId('transfer-rows');
    rows.replaceChildren();
    byId('transfers-table').hidden = transfers.length === 0;
    byId('transfers-empty').hidden = transfers.length > 0;
    for (const transfer of transfers) {
      const row = element('tr');
      row.dataset.conversationId = transfer.conversationId;
      row.dataset.state = transfer.state;
      cell(row, transfer.conversationId, 'id');
      cell(row, transfer.role === 'requester' ? 'receiving' : 'sending');
      cell(row, transfer.remoteOds);
      const state = cell(row, transfer.state);
      if (transfer.errorCode || transfer.errorText) {
        state.appendChild(element('div', [transfer.errorCode, transfer.errorText]
          .filter(Boolean).join(': '), 'detail'));
      }
      drawProgress(cell(row, null, 'progress'), transfer);
      cell(row, localTime(transfer.updatedAt));
      rows.appendChild(row);
    }
  }

  function drawAudit(rowsFromApi) {
    const rows = byId('audit-rows');
    rows.replaceChildren();
    for (const entry of rowsFromApi.slice().reverse()) {
      const row = element('tr');
      row.dataset.event = entry.event;
      cell(row, entry.seq);
      cell(row, localTime(entry.at));
      cell(row, entry.actor);
      cell(row, entry.event);
      cell(row, entry.messageId, 'id');
      cell(row, entry.detail);
      rows.appendChild(row);
    }
  }

  // ---- refreshing ----

  function handleFailure(error) {
    if (error instanceof ApiError && error.status === 401) {
      window.sessionStorage.removeItem(TOKEN_KEY);
      askForToken('The agent did not accept the token (401): it is wrong or was revoked. ' +
        'Enter a valid token.');
      return;
    }
    if (error instanceof ApiError && error.status === 403) {
      askForToken('This token may not read the agent\'s status (403): ' + error.message);
      return;
    }
    const since = lastGoodRefresh ? ' Last good refresh ' + lastGoodRefresh.toLocaleTimeString('en-GB') + '.' : '';
    setBanner('red', 'Agent unreachable',
      'This page cannot reach gp-agent: is the service running?' + since);
    showNotice(error instanceof ApiError ? 'The agent answered: ' + error.message
      : 'No answer from the agent (' + error.message + ').');
  }

  async function refresh() {
    if (!storedToken()) {
      askForToken();
      return;
    }
    if (refreshing) {
      return;
    }
    refreshing = true;
    try {
      const [status, attention, transfers, audit] = await Promise.all([
        api('/v1/status'),
        api('/v1/messages?' + ATTENTION_STATES),
        api('/v1/gp2gp/transfers?limit=20'),
        api('/v1/audit?latest=12'),
      ]);
      byId('token-section').hidden = true;
      byId('dashboard').hidden = false;
      const [colour, text, detail] = overallState(status, attention.messages);
      setBanner(colour, text, detail);
      drawCounts(status);
      drawAttention(attention.messages);
      drawTransfers(transfers.transfers);
      drawAudit(audit.rows);
      lastGoodRefresh = new Date();
      byId('refreshed').textContent = 'Refreshed at ' + lastGoodRefresh.toLocaleTimeString('en-GB') + '.';
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
      if (byId('notice').dataset.sticky !== 'true') {
        clearNotice(); // an earlier "unreachable" or token message no longer applies
      }
    } catch (error) {
      handleFailure(error);
    } finally {
      refreshing = false;
    }
  }

  async function act(path, done) {
    try {
      const body = await api(path, 'POST');
      showNotice(done(body), 'info', true);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        handleFailure(error);
        return;
      }
      showNotice(error instanceof ApiError && error.status === 403
        ? 'This token may not do that (403): ' + error.message
        : 'Not done: ' + error.message, 'error', true);
    }
    refresh();
  }

  function onTableClick(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) {
      return;
    }
    const id = button.dataset.messageId;
    button.disabled = true;
    if (button.dataset.action === 'retry') {
      act('/v1/messages/' + encodeURIComponent(id) + '/retry',
        () => 'Message ' + id + ' is queued to be sent again.');
    } else if (button.dataset.action === 'acknowledge') {
      act('/v1/messages/' + encodeURIComponent(id) + '/acknowledge',
        () => 'Message ' + id + ' acknowledged: it no longer counts as needing attention.');
    }
  }

  function start() {
    byId('token-form').addEventListener('submit', useToken);
    byId('forget-token').addEventListener('click', forgetToken);
    byId('failed-rows').addEventListener('click', onTableClick);
    byId('pause-button').addEventListener('click', () => {
      act(paused ? '/v1/dispatch/resume' : '/v1/dispatch/pause', (body) => body.paused
        ? 'Sending paused: new submissions are queued and wait.' : 'Sending resumed.');
    });
    byId('retry-all-button').addEventListener('click', () => {
      act('/v1/messages/retry-failed', (body) => body.retried + ' message(s) queued again' +
        (body.skipped && body.skipped.length > 0
          ? '; ' + body.skipped.length + ' cannot be retried from here: ' +
            body.skipped.map((entry) => entry.messageId + ' (' + entry.reason + ')').join(', ')
          : '') + '.');
    });
    refresh();
    refreshTimer = window.setInterval(refresh, REFRESH_MS);
  }

  document.addEventListener('DOMContentLoaded', start);
  window.addEventListener('beforeunload', () => window.clearInterval(refreshTimer));
}());
