// The sandbox page: plays one test user on Zalo or Messenger against this server.
// No secrets here: the page posts what the tester did to /sandbox/api/events (the server
// builds, signs and feeds the platform's webhook body) and draws the stored platform requests
// it receives from /sandbox/api/stream the way each platform shows them, limits included.
// Every word shown comes from the template (TEXT); none is written in this file.
(function () {
  "use strict";

  const CONFIG = JSON.parse(document.getElementById("sandbox-config").textContent);
  const TEXT = JSON.parse(document.getElementById("sandbox-texts").textContent);
  const $ = (id) => document.getElementById(id);
  const SHOP = CONFIG.shop.name;
  const store = window.localStorage;

  const state = {
    channel: "zalo",
    user: { id: "", name: "" },
    phone: "",
    source: null,
    lastWasReplay: false,
    miniToken: null,
    miniFor: "",
  };

  // --- small helpers ------------------------------------------------------------------------
  function fmt(template, vars) {
    return String(template).replace(/\{(\w+)\}/g, (all, key) =>
      Object.prototype.hasOwnProperty.call(vars, key) ? String(vars[key]) : all,
    );
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key.startsWith("data")) node.setAttribute(key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()), value);
      else node.setAttribute(key, value);
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // Platform requests carry absolute URLs under PUBLIC_BASE_URL; load our own images from
  // whatever host serves this page instead.
  function localUrl(url) {
    if (!url) return "";
    try {
      const parsed = new URL(url, window.location.href);
      if (parsed.pathname.startsWith("/media/") || parsed.pathname.startsWith("/api/")) {
        return parsed.pathname + parsed.search;
      }
      return parsed.href;
    } catch (err) {
      return url;
    }
  }

  function len(text) {
    return text ? String(text).normalize("NFC").length : 0;
  }

  function firstName(name) {
    const parts = String(name || "").trim().split(/\s+/);
    return parts[parts.length - 1] || "";
  }

  function randomId() {
    const digits = Array.from(window.crypto.getRandomValues(new Uint8Array(6)), (b) => b % 10);
    return "sandbox-" + digits.join("");
  }

  function number(value) {
    return Number(value || 0).toLocaleString("vi-VN");
  }

  function when(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    return date.toLocaleString("vi-VN", { hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" });
  }

  // --- the thread -------------------------------------------------------------------------------
  const thread = $("thread");
  const body = $("chat-body");

  function scrollDown() {
    body.scrollTop = body.scrollHeight;
  }

  function add(node) {
    thread.appendChild(node);
    scrollDown();
    return node;
  }

  function systemNote(text, kind) {
    return add(el("div", { className: "system " + (kind || ""), text: text }));
  }

  function userBubble(text) {
    return add(el("div", { className: "msg from-user" }, [el("div", { className: "bubble", text: text })]));
  }

  function botMessage(rowId, children, extraClass) {
    return el("div", { className: "msg from-bot " + (extraClass || ""), dataRow: String(rowId) }, children);
  }

  function limitNote(platform, problems) {
    if (!problems.length) return null;
    const what = problems.join("; ");
    return el("div", { className: "limit", text: fmt(TEXT.limit, { platform: TEXT["platform_" + platform], what: what }) });
  }

  function check(problems, value, max, key) {
    const n = len(value);
    if (n > max) problems.push(fmt(TEXT[key], { len: n, max: max }));
  }

  function checkCount(problems, count, max, key) {
    if (count > max) problems.push(fmt(TEXT[key], { count: count, max: max }));
  }

  function image(url, attrs) {
    const img = el("img", Object.assign({ className: "sbx-img", src: localUrl(url), alt: "", loading: "lazy" }, attrs || {}));
    img.addEventListener("load", scrollDown);
    return img;
  }

  function linkButton(title, href, className) {
    return el("a", { className: className, href: href, target: "_blank", rel: "noopener noreferrer", text: title });
  }

  // --- talking to the server --------------------------------------------------------------------
  async function postEvent(action) {
    const payload = Object.assign(
      { channel: state.channel, user: { id: state.user.id, name: state.user.name } },
      action,
    );
    let response;
    try {
      response = await fetch(CONFIG.api.events, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      });
    } catch (err) {
      systemNote(fmt(TEXT.send_failed, { detail: String(err) }), "error");
      return false;
    }
    if (!response.ok) {
      let detail = String(response.status);
      try {
        detail = (await response.json()).detail || detail;
      } catch (err) {
        /* not JSON */
      }
      systemNote(fmt(TEXT.send_failed, { detail: detail }), "error");
      return false;
    }
    return true;
  }

  function clearQuickReplies() {
    $("quick-replies").replaceChildren();
  }

  function sendText(text) {
    clearQuickReplies();
    userBubble(text);
    return postEvent({ type: "text", text: text });
  }

  // --- Zalo -------------------------------------------------------------------------------------
  function zaloTap(button) {
    if (button.type === "oa.query.show") userBubble(button.payload);
    else systemNote(fmt(TEXT.tapped, { title: button.title }), "tap");
    return postEvent({ type: "tap", kind: "query", payload: button.payload, title: button.title });
  }

  function zaloButton(button) {
    const cls = "zbtn sbx-btn";
    const payload = button.payload;
    if (button.type === "oa.open.url") return linkButton(button.title, payload.url, cls);
    if (button.type === "oa.open.phone") return linkButton(button.title, "tel:" + payload.phone_code, cls);
    if (button.type === "oa.open.sms") return linkButton(button.title, "sms:" + payload.phone_code, cls);
    return el("button", {
      type: "button",
      className: cls,
      text: button.title,
      dataPayload: typeof payload === "string" ? payload : "",
      onclick: () => zaloTap(button),
    });
  }

  function zaloButtons(buttons, problems) {
    const max = CONFIG.limits.zalo.buttons;
    checkCount(problems, buttons.length, max, "limit_buttons");
    for (const b of buttons) check(problems, b.title, CONFIG.limits.zalo.title, "limit_title");
    if (!buttons.length) return null;
    const shown = buttons.slice(0, max);
    const box = el("div", { className: "zbuttons" }, shown.map(zaloButton));
    if (buttons.length > max) box.appendChild(el("div", { className: "limit", text: fmt(TEXT.limit_hidden, { count: buttons.length - max }) }));
    return box;
  }

  function zaloChoices(choices) {
    const items = Object.entries(choices || {});
    if (!items.length) return null;
    return el("div", { className: "choices", title: TEXT.zalo_choice_hint }, items.map(([n, pair]) =>
      el("button", {
        type: "button",
        className: "choice sbx-choice",
        dataChoice: n,
        text: fmt(TEXT.zalo_choice, { n: n, title: pair[1] }),
        onclick: () => sendText(n),
      }),
    ));
  }

  function zaloShareForm() {
    $("share-title").textContent = fmt(TEXT.zalo_share_title, { shop: SHOP });
    $("share-name").value = state.user.name;
    $("share-phone").value = state.phone;
    $("share-form").hidden = false;
    $("share-phone").focus();
  }

  async function zaloShare() {
    const phone = $("share-phone").value.trim();
    $("share-form").hidden = true;
    if (await postEvent({ type: "phone", phone: phone })) {
      systemNote(fmt(TEXT.zalo_shared, { phone: phone, shop: SHOP }), "tap");
    }
  }

  function drawZalo(row) {
    const message = row.payload.message || {};
    const problems = [];
    const parts = [];
    const attachment = message.attachment;
    if (attachment && attachment.type === "template") {
      const p = attachment.payload || {};
      const elements = p.elements || [];
      if (p.template_type === "media") {
        const media = elements[0] || {};
        const attrs = media.media_type === "gif" ? { width: media.width, height: media.height, dataKind: "gif" } : {};
        parts.push(el("div", { className: "card media" }, [
          media.url ? image(media.url, attrs) : el("div", { className: "placeholder", text: media.attachment_id || "" }),
          message.text ? el("div", { className: "caption", text: message.text }) : null,
          zaloButtons(p.buttons || [], problems),
        ]));
        if (message.text) check(problems, message.text, CONFIG.limits.zalo.text, "limit_text");
      } else if (p.template_type === "list") {
        checkCount(problems, elements.length, CONFIG.limits.zalo.elements, "limit_elements");
        const rows = elements.map((item, index) => {
          check(problems, item.title, CONFIG.limits.zalo.title, "limit_title");
          check(problems, item.subtitle, CONFIG.limits.zalo.subtitle, "limit_subtitle");
          const big = index === 0 && item.image_url;
          const node = el("div", { className: "list-item" + (big ? " big" : "") }, [
            item.image_url ? image(item.image_url) : null,
            el("div", { className: "list-text" }, [
              el("div", { className: "title", text: item.title }),
              item.subtitle ? el("div", { className: "subtitle", text: item.subtitle }) : null,
            ]),
          ]);
          const action = item.default_action;
          if (action && (action.type === "oa.query.hide" || action.type === "oa.query.show")) {
            node.classList.add("tappable");
            node.addEventListener("click", () => zaloTap(Object.assign({ title: item.title }, action)));
          } else if (action && action.type === "oa.open.url") {
            node.classList.add("tappable");
            node.addEventListener("click", () => window.open(action.payload.url, "_blank", "noopener"));
          }
          return node;
        });
        parts.push(el("div", { className: "card list" }, rows.concat([zaloButtons(p.buttons || [], problems)])));
      } else if (p.template_type === "request_user_info") {
        const item = elements[0] || {};
        check(problems, item.title, CONFIG.limits.zalo.title, "limit_title");
        check(problems, item.subtitle, CONFIG.limits.zalo.subtitle, "limit_subtitle");
        parts.push(el("div", { className: "card info-request" }, [
          item.image_url ? image(item.image_url) : null,
          el("div", { className: "title", text: item.title }),
          item.subtitle ? el("div", { className: "subtitle", text: item.subtitle }) : null,
          el("div", { className: "zbuttons" }, [
            el("button", { type: "button", className: "zbtn sbx-btn share", text: TEXT.zalo_share, onclick: zaloShareForm }),
          ]),
        ]));
      }
    } else if (message.text) {
      check(problems, message.text, CONFIG.limits.zalo.text, "limit_text");
      parts.push(el("div", { className: "bubble", text: message.text }));
      parts.push(zaloChoices(row.payload.choices));
    }
    parts.push(limitNote("zalo", problems));
    return parts;
  }

  // --- Messenger ----------------------------------------------------------------------------
  function fbTap(button) {
    clearQuickReplies();
    userBubble(button.title);
    return postEvent({ type: "tap", kind: "postback", payload: button.payload, title: button.title });
  }

  function fbButton(button, problems) {
    check(problems, button.title, CONFIG.limits.messenger.button_title, "limit_title");
    const cls = "fbtn sbx-btn";
    if (button.type === "web_url") return linkButton(button.title, button.url, cls);
    if (button.type === "phone_number") return linkButton(button.title, "tel:" + button.payload, cls);
    return el("button", { type: "button", className: cls, text: button.title, dataPayload: button.payload, onclick: () => fbTap(button) });
  }

  function fbButtons(buttons, problems) {
    const max = CONFIG.limits.messenger.buttons;
    checkCount(problems, buttons.length, max, "limit_buttons");
    if (!buttons.length) return null;
    const box = el("div", { className: "fbuttons" }, buttons.slice(0, max).map((b) => fbButton(b, problems)));
    if (buttons.length > max) box.appendChild(el("div", { className: "limit", text: fmt(TEXT.limit_hidden, { count: buttons.length - max }) }));
    return box;
  }

  function fbQuickReplies(chips, problems) {
    const box = $("quick-replies");
    box.replaceChildren();
    if (!chips || !chips.length) return;
    const max = CONFIG.limits.messenger.quick_replies;
    checkCount(problems, chips.length, max, "limit_quick_replies");
    for (const chip of chips.slice(0, max)) {
      if (chip.content_type === "user_phone_number") {
        const phone = state.phone;
        box.appendChild(el("button", {
          type: "button", className: "chip sbx-chip phone-chip", dataPayload: "user_phone_number",
          text: fmt(TEXT.fb_phone_chip, { phone: phone }),
          onclick: async () => {
            clearQuickReplies();
            userBubble(phone);
            await postEvent({ type: "phone", phone: phone });
          },
        }));
      } else if (chip.content_type === "text") {
        check(problems, chip.title, CONFIG.limits.messenger.quick_reply_title, "limit_title");
        box.appendChild(el("button", {
          type: "button", className: "chip sbx-chip", dataPayload: chip.payload, text: chip.title,
          onclick: () => {
            clearQuickReplies();
            userBubble(chip.title);
            postEvent({ type: "tap", kind: "quick_reply", payload: chip.payload, title: chip.title });
          },
        }));
      } else {
        box.appendChild(el("button", { type: "button", className: "chip", disabled: "disabled", text: TEXT.fb_email_chip }));
      }
    }
  }

  function drawMessenger(row) {
    const message = row.payload.message || {};
    const problems = [];
    const parts = [];
    const attachment = message.attachment;
    const limits = CONFIG.limits.messenger;
    if (attachment && attachment.type === "image") {
      parts.push(el("div", { className: "fb-image" }, [image((attachment.payload || {}).url)]));
    } else if (attachment && attachment.type === "template") {
      const p = attachment.payload || {};
      if (p.template_type === "button") {
        check(problems, p.text, limits.button_text, "limit_text");
        parts.push(el("div", { className: "card fb-button-template" }, [
          el("div", { className: "bubble-text", text: p.text }),
          fbButtons(p.buttons || [], problems),
        ]));
      } else if (p.template_type === "generic") {
        const elements = p.elements || [];
        checkCount(problems, elements.length, limits.cards, "limit_elements");
        const cards = elements.slice(0, limits.cards).map((item) => {
          check(problems, item.title, limits.card_title, "limit_title");
          check(problems, item.subtitle, limits.card_subtitle, "limit_subtitle");
          return el("div", { className: "card fb-card" + (p.image_aspect_ratio === "square" ? " square" : "") }, [
            item.image_url ? image(item.image_url) : null,
            el("div", { className: "title", text: item.title }),
            item.subtitle ? el("div", { className: "subtitle", text: item.subtitle }) : null,
            fbButtons(item.buttons || [], problems),
          ]);
        });
        parts.push(el("div", { className: "carousel" }, cards));
      } else if (p.template_type === "media") {
        const media = (p.elements || [])[0] || {};
        parts.push(el("div", { className: "card fb-card" }, [
          media.url ? image(media.url) : el("div", { className: "placeholder", text: media.attachment_id || "" }),
          fbButtons(media.buttons || [], problems),
        ]));
      }
    } else if (message.text !== undefined) {
      check(problems, message.text, limits.text, "limit_text");
      parts.push(el("div", { className: "bubble", text: message.text }));
    }
    fbQuickReplies(message.quick_replies, problems);
    parts.push(limitNote("messenger", problems));
    return parts;
  }

  // --- the live feed ----------------------------------------------------------------------------
  function drawRow(row) {
    if (row.payload && row.payload.sender_action) return;
    if (row.replay && !state.lastWasReplay) systemNote(TEXT.earlier, "divider");
    if (!row.replay && state.lastWasReplay) clearQuickReplies();
    state.lastWasReplay = !!row.replay;
    const parts = row.channel === "zalo" ? drawZalo(row) : drawMessenger(row);
    if (row.status !== "sent") {
      parts.push(el("div", { className: "limit", text: fmt(TEXT.not_delivered, { status: row.status, detail: row.error || "" }) }));
    }
    add(botMessage(row.id, parts, row.channel === "zalo" ? "zalo" : "messenger"));
  }

  function connect() {
    if (state.source) state.source.close();
    thread.replaceChildren();
    clearQuickReplies();
    state.lastWasReplay = false;
    const conn = $("conn");
    conn.className = "conn";
    const url = CONFIG.api.stream + "?" + new URLSearchParams({ channel: state.channel, user_id: state.user.id, history: "20" });
    const source = new EventSource(url);
    source.addEventListener("ready", () => {
      conn.className = "conn on";
      conn.title = TEXT.connected;
    });
    source.addEventListener("message", (event) => drawRow(JSON.parse(event.data)));
    source.addEventListener("error", () => {
      conn.className = "conn off";
      conn.title = TEXT.reconnecting;
    });
    state.source = source;
  }

  // --- menus ----------------------------------------------------------------------------------
  function drawMenu() {
    const box = $("menu-items");
    box.replaceChildren();
    if (state.channel === "zalo") {
      for (const item of CONFIG.zalo.menu) {
        if (item.url) box.appendChild(linkButton(item.title, item.url, "menu-item"));
        else if (item.phone) box.appendChild(linkButton(item.title, "tel:" + item.phone, "menu-item"));
        else box.appendChild(el("button", { type: "button", className: "menu-item", dataPayload: item.payload, text: item.title, onclick: () => { $("menu-panel").hidden = true; zaloTap({ type: "oa.query.hide", title: item.title, payload: item.payload }); } }));
      }
    } else {
      for (const item of CONFIG.messenger.menu) {
        if (item.type === "web_url") box.appendChild(linkButton(item.title, item.url, "menu-item"));
        else box.appendChild(el("button", { type: "button", className: "menu-item", dataPayload: item.payload, text: item.title, onclick: () => { $("menu-panel").hidden = true; fbTap(item); } }));
      }
    }
  }

  // --- choosing the test user -------------------------------------------------------------------
  function storageKey() {
    return "sandbox.user." + state.channel;
  }

  function loadUser() {
    let saved = null;
    try {
      saved = JSON.parse(store.getItem(storageKey()) || "null");
    } catch (err) {
      saved = null;
    }
    state.user = saved && saved.id ? saved : { id: randomId(), name: TEXT.default_name };
    $("user-id").value = state.user.id;
    $("user-name").value = state.user.name;
  }

  function saveUser() {
    store.setItem(storageKey(), JSON.stringify(state.user));
    store.setItem("sandbox.phone", state.phone);
  }

  function channelNote() {
    const info = CONFIG.channels[state.channel];
    const note = $("channel-note");
    const text = !info ? TEXT.missing_channel : !info.sandbox ? TEXT.real_channel : "";
    note.textContent = text;
    note.hidden = !text;
  }

  function applyUser() {
    const id = $("user-id").value.trim();
    if (!/^[A-Za-z0-9_-]{1,48}$/.test(id)) {
      $("user-id").focus();
      $("user-id").reportValidity();
      return;
    }
    state.user = { id: id, name: $("user-name").value.trim() };
    state.phone = $("user-phone").value.trim();
    saveUser();
    const greeting = CONFIG.messenger.greeting.replace(/\{\{\s*user_(first|last|full)_name\s*\}\}/g, (all, which) =>
      which === "full" ? state.user.name : which === "first" ? firstName(state.user.name) : state.user.name.split(/\s+/)[0] || "",
    );
    $("fb-greeting").textContent = greeting;
    state.miniToken = null;
    resetMini();
    channelNote();
    connect();
  }

  function pickChannel(channel) {
    state.channel = channel;
    $("phone").dataset.channel = channel;
    for (const name of ["zalo", "messenger"]) $("pick-" + name).classList.toggle("active", name === channel);
    $("menu-panel").hidden = true;
    $("share-form").hidden = true;
    drawMenu();
    loadUser();
    applyUser();
  }

  // --- Mini App -----------------------------------------------------------------------------------
  function miniStatus(text, kind) {
    const node = $("mini-status");
    node.textContent = text || "";
    node.className = "note " + (kind || "");
    node.hidden = !text;
  }

  function resetMini() {
    for (const id of ["mini-card", "mini-vouchers", "mini-games"]) $(id).replaceChildren();
    $("mini-vouchers-title").hidden = true;
    $("mini-games-title").hidden = true;
    $("mini-refresh").hidden = true;
    $("mini-open").hidden = false;
    miniStatus("");
  }

  async function api(method, path, payload, headers) {
    const response = await fetch(CONFIG.api.v1 + path, {
      method: method,
      headers: Object.assign({ Authorization: "Bearer " + state.miniToken }, payload ? { "Content-Type": "application/json" } : {}, headers || {}),
      body: payload ? JSON.stringify(payload) : undefined,
    });
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      const error = new Error((data && (data.detail || data.title)) || String(response.status));
      error.status = response.status;
      error.problem = data || {};
      throw error;
    }
    return data;
  }

  async function openMini() {
    miniStatus(TEXT.mini_loading);
    const response = await fetch(CONFIG.api.session, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ channel: state.channel, user: { id: state.user.id, name: state.user.name } }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      miniStatus(fmt(TEXT.mini_failed, { detail: data.detail || response.status }), "error");
      return;
    }
    state.miniToken = data.token;
    $("mini-open").hidden = true;
    $("mini-refresh").hidden = false;
    await loadMini();
  }

  async function loadMini() {
    miniStatus(TEXT.mini_loading);
    try {
      const [card, vouchers, games] = await Promise.all([
        api("GET", "/me/card"),
        api("GET", "/me/vouchers"),
        api("GET", "/games"),
      ]);
      drawCard(card);
      drawVouchers(vouchers);
      drawGames(games.items || []);
      miniStatus("");
    } catch (err) {
      miniStatus(fmt(TEXT.mini_failed, { detail: err.message }), "error");
    }
  }

  function drawCard(card) {
    const progress = card.next_tier
      ? fmt(TEXT.mini_next, { points: number(card.points_to_next), tier: card.next_tier.name })
      : TEXT.mini_top;
    $("mini-card").replaceChildren(el("div", { className: "member-card", id: "member-card" }, [
      el("div", { className: "mc-shop", text: SHOP }),
      el("div", { className: "mc-name", text: card.name || state.user.name }),
      el("div", { className: "mc-tier", text: fmt(TEXT.mini_tier, { tier: card.tier.name }) }),
      el("div", { className: "mc-points", text: fmt(TEXT.mini_points, { points: number(card.points) }) }),
      el("div", { className: "mc-progress", text: progress }),
      el("div", { className: "mc-code" }, [TEXT.mini_member + ": ", el("b", { text: card.member_code })]),
      el("div", { className: "mc-qr" }, [image(card.qr.image_url, { className: "sbx-img qr", id: "member-qr" })]),
      el("div", { className: "mc-hint", text: TEXT.mini_qr_hint }),
    ]));
  }

  function drawVouchers(data) {
    $("mini-vouchers-title").hidden = false;
    const items = data.available || [];
    const box = $("mini-vouchers");
    box.replaceChildren();
    if (!items.length) box.appendChild(el("p", { className: "muted", text: TEXT.mini_no_vouchers }));
    for (const v of items) {
      box.appendChild(el("div", { className: "voucher" }, [fmt(TEXT.mini_voucher_line, { title: v.title, code: v.code, expires: when(v.expires_at) })]));
    }
  }

  function drawGames(items) {
    $("mini-games-title").hidden = false;
    const box = $("mini-games");
    box.replaceChildren();
    for (const game of items) {
      const result = el("div", { className: "game-result", id: "game-result-" + game.id });
      const left = el("div", { className: "muted", id: "game-left-" + game.id, text: fmt(TEXT.mini_plays_left, { count: game.plays_left }) });
      box.appendChild(el("div", { className: "game", dataGame: game.id }, [
        el("div", { className: "title", text: game.title }),
        el("div", { className: "subtitle", text: game.description }),
        left,
        el("button", { type: "button", className: "zalo-primary sbx-play", id: "game-play-" + game.id, text: TEXT.mini_play, onclick: () => play(game, result) }),
        result,
      ]));
    }
  }

  async function play(game, box) {
    box.replaceChildren(el("p", { className: "muted", text: TEXT.mini_loading }));
    const key = "sandbox-" + Date.now() + "-" + Math.random().toString(36).slice(2);
    try {
      const out = await api("POST", "/games/" + encodeURIComponent(game.id) + "/plays", null, { "Idempotency-Key": key });
      drawPlay(game, out, box);
    } catch (err) {
      if (err.status === 429 && err.problem.next_play_at) {
        box.replaceChildren(el("p", { className: "note", text: fmt(TEXT.mini_no_plays, { time: when(err.problem.next_play_at) }) }));
      } else {
        box.replaceChildren(el("p", { className: "note error", text: fmt(TEXT.mini_failed, { detail: err.message }) }));
      }
    }
  }

  function drawPlay(game, out, box) {
    if (out.type === "quiz" && out.status === "in_progress" && out.quiz && out.quiz.question) {
      const q = out.quiz.question;
      box.replaceChildren(el("div", { className: "quiz" }, [
        el("p", { text: fmt(TEXT.mini_quiz_question, { index: q.index + 1, total: out.quiz.total, question: q.question }) }),
        el("div", { className: "quiz-options" }, q.options.map((option, index) =>
          el("button", { type: "button", className: "zbtn", text: option, onclick: async () => {
            try {
              const next = await api("POST", "/games/" + encodeURIComponent(game.id) + "/plays/" + out.play_id + "/answers", { question_index: q.index, option: index });
              drawPlay(game, next, box);
            } catch (err) {
              box.appendChild(el("p", { className: "note error", text: fmt(TEXT.mini_failed, { detail: err.message }) }));
            }
          } }),
        )),
      ]));
      return;
    }
    const parts = [];
    if (out.image_url) parts.push(image(out.image_url, { className: "sbx-img result", dataKind: "result" }));
    if (out.quiz && out.quiz.score !== null && out.quiz.score !== undefined) {
      parts.push(el("p", { text: fmt(TEXT.mini_quiz_score, { score: out.quiz.score, total: out.quiz.total }) }));
    }
    if (out.outcome === "win" && out.prize) {
      parts.push(el("p", { className: "prize", text: fmt(TEXT.mini_win, { prize: out.prize.label }) }));
      if (out.voucher) parts.push(el("p", { className: "code", text: fmt(TEXT.mini_win_voucher, { code: out.voucher.code }) }));
    } else if (out.outcome === "lose") {
      parts.push(el("p", { className: "prize", text: TEXT.mini_lose }));
    }
    box.replaceChildren(...parts);
    api("GET", "/games/" + encodeURIComponent(game.id)).then((g) => {
      $("game-left-" + game.id).textContent = fmt(TEXT.mini_plays_left, { count: g.plays_left });
    }).catch(() => {});
    api("GET", "/me/card").then(drawCard).catch(() => {});
    api("GET", "/me/vouchers").then(drawVouchers).catch(() => {});
  }

  function showTab(name) {
    const chat = name === "chat";
    $("chat-view").hidden = !chat;
    $("miniapp-view").hidden = chat;
    $("tab-chat").classList.toggle("active", chat);
    $("tab-miniapp").classList.toggle("active", !chat);
  }

  // --- wiring -------------------------------------------------------------------------------------
  function init() {
    const logo = CONFIG.shop.logo ? localUrl(CONFIG.shop.logo) : "";
    for (const id of ["shop-avatar", "intro-logo-zalo", "intro-logo-messenger"]) {
      if (logo) $(id).src = logo;
      else $(id).hidden = true;
    }
    $("mini-title").textContent = fmt(TEXT.mini_title, { shop: SHOP });
    state.phone = store.getItem("sandbox.phone") || "0912345678";
    $("user-phone").value = state.phone;

    $("pick-zalo").addEventListener("click", () => pickChannel("zalo"));
    $("pick-messenger").addEventListener("click", () => pickChannel("messenger"));
    $("apply-user").addEventListener("click", applyUser);
    $("new-user").addEventListener("click", () => {
      $("user-id").value = randomId();
      applyUser();
    });
    $("zalo-follow").addEventListener("click", async () => {
      if (await postEvent({ type: "follow" })) systemNote(fmt(TEXT.followed, { shop: SHOP }), "tap");
    });
    $("zalo-unfollow").addEventListener("click", async () => {
      if (await postEvent({ type: "unfollow" })) systemNote(fmt(TEXT.unfollowed, { shop: SHOP }), "tap");
    });
    $("fb-get-started").addEventListener("click", () => {
      clearQuickReplies();
      userBubble(TEXT.fb_get_started);
      postEvent({ type: "follow", title: TEXT.fb_get_started });
    });
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("composer-input");
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      sendText(text);
    });
    $("menu-toggle").addEventListener("click", () => {
      $("menu-panel").hidden = !$("menu-panel").hidden;
    });
    $("share-send").addEventListener("click", zaloShare);
    $("share-cancel").addEventListener("click", () => {
      $("share-form").hidden = true;
    });
    $("tab-chat").addEventListener("click", () => showTab("chat"));
    $("tab-miniapp").addEventListener("click", () => showTab("miniapp"));
    $("mini-open").addEventListener("click", openMini);
    $("mini-refresh").addEventListener("click", loadMini);
    const wanted = new URLSearchParams(window.location.search).get("channel");
    pickChannel(wanted === "messenger" ? "messenger" : "zalo");
    if (!CONFIG.miniapp) {
      $("mini-open").disabled = true;
      miniStatus(TEXT.no_miniapp);
    }
  }

  init();
})();
