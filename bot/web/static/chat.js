// Comptoir's web chat page: speaks the /ws protocol (bot/web/PROTOCOL.md). Plain ES2020.
"use strict";

(() => {
  const STORE = "comptoir.transcript";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("input");
  const statusLine = document.getElementById("status");
  const typing = document.getElementById("typing");
  const list = document.getElementById("suggestions");
  const shareButton = document.getElementById("share-location");
  const myData = document.getElementById("my-data");

  const URL_OR_REFERENCE = /(https?:\/\/[^\s<>«»"]+[^\s<>«»".,;:!?)\]])|(CPT-\d{4}-\d{6})/g;

  let socket = null;
  let ready = false;
  let delay = 500;
  let frameIds = 0;
  let typingTimer = null;
  let suggestTimer = null;
  let suggestAbort = null;
  let active = -1;
  let current = null; // the newest question's frame: what the composer helps with
  const pending = []; // frames typed while the connection was away
  const sent = new Map(); // frame id → the citizen's bubble (a refusal marks it)

  // -- the transcript kept for a reload ----------------------------------------------------

  function loadTranscript() {
    try {
      const data = JSON.parse(sessionStorage.getItem(STORE) || "null");
      if (data && Array.isArray(data.items)) return data;
    } catch (error) { /* unreadable: start afresh */ }
    return { items: [], last: 0 };
  }
  const transcript = loadTranscript();
  const shown = new Set(transcript.items.filter((i) => i.kind === "bot").map((i) => i.frame.seq));

  function saveTranscript() {
    try {
      sessionStorage.setItem(STORE, JSON.stringify(transcript));
    } catch (error) { /* full or refused: the server still resends what was not acknowledged */ }
  }

  // -- rendering ---------------------------------------------------------------------------

  // French typography for the screen: no line starts with « : » or « ? », no number is cut
  // between its digit groups; the terminal's indents are not the page's layout.
  function typeset(text) {
    return text
      .replace(/^[ \t]+/gm, "")
      .replace(/ ([:;!?»])/g, "\u00a0$1")
      .replace(/« /g, "«\u00a0")
      .replace(/(\d) (?=\d{3}(?!\d))/g, "$1\u202f");
  }

  function richText(raw) {
    const text = typeset(raw);
    const box = document.createElement("div");
    box.className = "text";
    let at = 0;
    for (const match of text.matchAll(URL_OR_REFERENCE)) {
      if (match.index > at) box.append(document.createTextNode(text.slice(at, match.index)));
      if (match[1]) {
        const link = document.createElement("a");
        link.href = match[1];
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.textContent = match[1];
        box.append(link);
      } else {
        const strong = document.createElement("strong");
        strong.className = "reference";
        strong.textContent = match[2];
        box.append(strong);
      }
      at = match.index + match[0].length;
    }
    if (at < text.length) box.append(document.createTextNode(text.slice(at)));
    return box;
  }

  function isOption(frame, button) {
    return frame.multiple && !button.value.endsWith("|_ok");
  }

  function buttonsOf(frame) {
    const group = document.createElement("div");
    group.className = "buttons";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", frame.multiple ? "Choix multiples" : "Réponses possibles");
    for (const row of frame.buttons) {
      const line = document.createElement("div");
      line.className = "row";
      for (const button of row) {
        const element = document.createElement("button");
        element.type = "button";
        element.dataset.value = button.value;
        element.textContent = button.label;
        if (isOption(frame, button)) element.setAttribute("aria-pressed", String(!!button.selected));
        else if (button.value.endsWith("|_ok")) element.classList.add("validate"); // Valider, Confirmer
        element.addEventListener("click", () => press(frame, button, element));
        line.append(element);
      }
      group.append(line);
    }
    return group;
  }

  function fillBot(item, frame) {
    // A counter's card says its name: the same name above it would say it twice.
    const named = frame.place && frame.text.trim() === frame.place.name.trim();
    item.replaceChildren(...(named ? [] : [richText(frame.text)]));
    item.dataset.seq = String(frame.seq);
    if (frame.lasting) item.dataset.lasting = "true";
    else delete item.dataset.lasting;
    if (frame.buttons && frame.buttons.length) item.append(buttonsOf(frame));
    if (frame.place) {
      const place = document.createElement("div");
      place.className = "place";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = frame.place.name;
      const address = document.createElement("span");
      address.className = "address";
      address.textContent = frame.place.address;
      const map = document.createElement("a");
      map.className = "map";
      map.href = frame.place.map_url;
      map.target = "_blank";
      map.rel = "noopener noreferrer";
      map.textContent = "Voir sur la carte";
      place.append(name, address, map);
      item.append(place);
    }
    if (frame.document) {
      const blob = new Blob([frame.document.content], { type: frame.document.media_type });
      const link = document.createElement("a");
      link.className = "download";
      link.href = URL.createObjectURL(blob);
      link.download = frame.document.filename;
      link.textContent = `Télécharger ${frame.document.filename}`;
      item.append(link);
    }
  }

  function disableOlder(except) {
    for (const button of log.querySelectorAll(".msg.bot .buttons button")) {
      const item = button.closest(".msg");
      if (item !== except && item.dataset.lasting !== "true") button.disabled = true;
    }
  }

  function reveal(element) {
    // A message taller than the log is shown from its start: its first lines are read first.
    const tall = element.offsetHeight > log.clientHeight;
    element.scrollIntoView({ block: tall ? "start" : "end", behavior: "auto" });
  }

  function addBot(frame, live) {
    const asks = frame.buttons && frame.buttons.length && !frame.lasting;
    const previous = frame.replaces ? lastQuestion() : null;
    if (previous) {
      const focused = document.activeElement && previous.contains(document.activeElement)
        ? document.activeElement.dataset.value : null;
      fillBot(previous, frame);
      if (focused) {
        const again = previous.querySelector(`button[data-value="${CSS.escape(focused)}"]`);
        if (again) again.focus();
      }
      return; // toggled in place: the page stays where the citizen is
    }
    const item = document.createElement("li");
    item.className = "msg bot";
    fillBot(item, frame);
    log.append(item);
    // Whatever the bot says next, the questions before it are behind: a back to a question
    // without buttons leaves none pressable (a typed answer re-asks with its buttons again).
    if (!frame.lasting) disableOlder(item);
    if (!frame.lasting) setCurrent(frame);
    if (live) {
      reveal(item);
      if (asks) {
        const first = item.querySelector(".buttons button:not(:disabled)");
        if (first) first.focus({ preventScroll: true });
      } else if (document.activeElement !== input && !frame.lasting) {
        input.focus({ preventScroll: true });
      }
    }
  }

  function lastQuestion() {
    const items = log.querySelectorAll(".msg.bot");
    for (let i = items.length - 1; i >= 0; i -= 1) {
      if (items[i].dataset.lasting !== "true" && items[i].querySelector(".buttons")) return items[i];
    }
    return null;
  }

  function addCitizen(text, id, live) {
    const item = document.createElement("li");
    item.className = "msg citizen";
    item.append(richText(text));
    log.append(item);
    if (id) sent.set(id, { item, text, said: text });
    if (live) reveal(item);
    return item;
  }

  function addNotice(text) {
    const item = document.createElement("li");
    item.className = "msg notice";
    item.setAttribute("role", "alert");
    item.textContent = text;
    log.append(item);
    reveal(item);
  }

  // -- what the composer helps with: a commune, a position ---------------------------------

  function setCurrent(frame) {
    current = frame;
    const commune = frame.expects === "commune";
    if (commune) {
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-controls", "suggestions");
      input.setAttribute("aria-expanded", "false");
      input.placeholder = "Ex. : Arras ou 62000";
    } else {
      for (const name of ["role", "aria-autocomplete", "aria-controls", "aria-expanded", "aria-activedescendant"]) {
        input.removeAttribute(name);
      }
      input.placeholder = "Votre message…";
      closeSuggestions();
    }
    if (frame.location && navigator.geolocation) {
      shareButton.textContent = frame.location;
      shareButton.hidden = false;
    } else {
      shareButton.hidden = true;
    }
  }

  function expectsCommune() {
    return current && current.expects === "commune";
  }

  function closeSuggestions() {
    list.hidden = true;
    list.replaceChildren();
    active = -1;
    if (input.hasAttribute("aria-expanded")) input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function showSuggestions(communes) {
    list.replaceChildren();
    active = -1;
    input.removeAttribute("aria-activedescendant");
    communes.forEach((commune, index) => {
      const option = document.createElement("li");
      option.id = `sug-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.label = commune.label;
      const name = document.createElement("span");
      name.textContent = commune.label;
      option.append(name);
      if (commune.postcode) {
        const postcode = document.createElement("span");
        postcode.className = "postcode";
        postcode.textContent = commune.postcode;
        option.append(postcode);
      }
      option.addEventListener("mousedown", (event) => event.preventDefault());
      option.addEventListener("click", () => pick(option));
      list.append(option);
    });
    list.hidden = communes.length === 0;
    input.setAttribute("aria-expanded", String(communes.length > 0));
    if (log.lastElementChild) reveal(log.lastElementChild); // the question stays in sight
  }

  function moveActive(step) {
    const options = list.querySelectorAll("[role=option]");
    if (!options.length) return;
    active = (active + step + options.length) % options.length;
    options.forEach((option, index) => option.setAttribute("aria-selected", String(index === active)));
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }

  function pick(option) {
    const label = option.dataset.label;
    closeSuggestions();
    input.value = "";
    sendText(label);
  }

  async function suggest() {
    const query = input.value.trim();
    if (!expectsCommune() || query.length < 2) {
      closeSuggestions();
      return;
    }
    if (suggestAbort) suggestAbort.abort();
    suggestAbort = new AbortController();
    try {
      const response = await fetch(`/api/communes?q=${encodeURIComponent(query)}&limit=8`, {
        signal: suggestAbort.signal,
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const data = await response.json();
      if (input.value.trim() === query && expectsCommune()) showSuggestions(data.communes || []);
    } catch (error) { /* aborted by a newer keystroke, or offline: no suggestions */ }
  }

  // -- sending -----------------------------------------------------------------------------

  function nextId() {
    frameIds += 1;
    return `c${frameIds}`;
  }

  function send(frame) {
    if (ready && socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
    else pending.push(frame);
  }

  function remember(item) {
    transcript.items.push(item);
    saveTranscript();
  }

  function sendText(text) {
    const id = nextId();
    addCitizen(text, id, true);
    remember({ kind: "citizen", text });
    send({ type: "text", text, id });
  }

  function press(frame, button, element) {
    if (element.disabled) return;
    const id = nextId();
    send({ type: "button", value: button.value, id });
    if (!isOption(frame, button) && !frame.lasting) {
      // Answered: its buttons are done (a refusal gives them back).
      const group = [...element.closest(".buttons").querySelectorAll("button")];
      for (const other of group) other.disabled = true;
      element.classList.add("chosen");
      // « Valider » of a multiple choice: the citizen's bubble says what they chose.
      const ticked = group.filter((b) => b.getAttribute("aria-pressed") === "true");
      const text = frame.multiple && ticked.length
        ? ticked.map((b) => b.textContent).join(", ")
        : button.label;
      const item = addCitizen(text, null, true);
      const seq = Number(element.closest(".msg").dataset.seq);
      const entry = transcript.items.find((i) => i.kind === "bot" && i.frame.seq === seq);
      if (entry) entry.answered = button.value; // a reload shows it answered too
      sent.set(id, { item, text: "", said: text, buttons: group, chosen: element, entry });
      remember({ kind: "citizen", text });
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (active >= 0) {
      pick(list.querySelectorAll("[role=option]")[active]);
      return;
    }
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    grow();
    closeSuggestions();
    sendText(text);
  });

  input.addEventListener("keydown", (event) => {
    if (!list.hidden && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      moveActive(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      closeSuggestions();
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  function grow() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight + 4, 144)}px`;
  }

  input.addEventListener("input", () => {
    grow();
    clearTimeout(suggestTimer);
    if (expectsCommune()) suggestTimer = setTimeout(suggest, 150);
  });
  input.addEventListener("blur", () => setTimeout(() => {
    if (document.activeElement !== input) closeSuggestions();
  }, 150));

  shareButton.addEventListener("click", () => {
    if (!navigator.geolocation) {
      addNotice("Votre navigateur ne sait pas partager votre position : tapez plutôt le nom de votre commune.");
      return;
    }
    shareButton.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        shareButton.disabled = false;
        const text = "📍 Ma position";
        addCitizen(text, null, true);
        remember({ kind: "citizen", text });
        send({
          type: "location",
          latitude: position.coords.latitude,
          longitude: position.coords.longitude,
          id: nextId(),
        });
      },
      (error) => {
        shareButton.disabled = false;
        addNotice(error.code === 1
          ? "Vous n'avez pas autorisé le partage de votre position : tapez plutôt le nom de votre commune."
          : "Votre position n'a pas pu être lue : tapez plutôt le nom de votre commune.");
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 },
    );
  });

  myData.addEventListener("click", () => sendText("/mesdonnees"));

  // -- the connection ----------------------------------------------------------------------

  function onMessage(frame) {
    if (frame.type === "message") {
      typing.hidden = true;
      if (typeof frame.seq === "number" && !shown.has(frame.seq)) {
        shown.add(frame.seq);
        addBot(frame, true);
        if (frame.replaces) {
          const index = transcript.items.map((i) => i.kind === "bot" && !i.frame.lasting && i.frame.buttons.length).lastIndexOf(true);
          if (index >= 0) transcript.items[index] = { kind: "bot", frame };
          else transcript.items.push({ kind: "bot", frame });
        } else {
          transcript.items.push({ kind: "bot", frame });
        }
        transcript.last = Math.max(transcript.last, frame.seq);
        saveTranscript();
      }
      socket.send(JSON.stringify({ type: "ack", seq: frame.seq }));
    } else if (frame.type === "typing") {
      typing.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typing.hidden = true; }, 15000);
      reveal(typing);
    } else if (frame.type === "refused") {
      const mine = frame.id ? sent.get(frame.id) : null;
      if (mine) {
        if (mine.buttons) {
          for (const button of mine.buttons) button.disabled = false;
          mine.chosen.classList.remove("chosen");
          if (mine.entry) delete mine.entry.answered;
          mine.chosen.focus({ preventScroll: true });
        }
        mine.item.classList.add("refused");
        const mark = document.createElement("span");
        mark.className = "mark";
        mark.textContent = "Non envoyé";
        mine.item.append(mark);
        if (!input.value && mine.text) input.value = mine.text;
        const index = transcript.items.map((i) => i.kind === "citizen" && i.text === mine.said).lastIndexOf(true);
        if (index >= 0) transcript.items.splice(index, 1);
        saveTranscript();
        grow();
      }
      addNotice(frame.text);
    } else if (frame.type === "ready") {
      ready = true;
      delay = 500;
      statusLine.textContent = "";
      while (pending.length) socket.send(JSON.stringify(pending.shift()));
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws`);
    ready = false;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "hello", last: transcript.last }));
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      onMessage(frame);
    });
    socket.addEventListener("close", () => {
      ready = false;
      typing.hidden = true;
      statusLine.textContent = "Connexion perdue, nouvelle tentative…";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    });
  }

  // -- start: the transcript of this tab, then the connection -------------------------------

  for (const item of transcript.items) {
    if (item.kind === "bot") {
      addBot(item.frame, false);
      if (item.answered) {
        const shownItem = log.querySelector(`li[data-seq="${item.frame.seq}"]`);
        for (const button of shownItem ? shownItem.querySelectorAll(".buttons button") : []) {
          button.disabled = true;
          if (button.dataset.value === item.answered) button.classList.add("chosen");
        }
      }
    } else {
      addCitizen(item.text, null, false);
    }
  }
  if (log.lastElementChild) {
    reveal(log.lastElementChild);
    const question = lastQuestion();
    const first = question && question.querySelector(".buttons button:not(:disabled)");
    (first || input).focus({ preventScroll: true });
  }
  connect();
})();
