// The page's one connection: GET /ui/stream, newline-delimited JSON, read as it arrives. When it
// ends or fails the page opens it again (after 0.5 s, doubling to 10 s) and the server sends the
// whole state anew: nothing is polled. Without a session (401) the page reloads into the login form.

export function connect(url, { onLines, onState }) {
  let stopped = false;
  let abort;
  const run = async () => {
    let delay = 500;
    while (!stopped) {
      onState("connecting");
      try {
        abort = new AbortController();
        const res = await fetch(url, { signal: abort.signal, headers: { accept: "application/x-ndjson" } });
        if (res.status === 401) {
          location.reload();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onState("live");
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let rest = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parts = (rest + value).split("\n");
          rest = parts.pop();
          const lines = [];
          for (const part of parts) if (part) lines.push(JSON.parse(part));
          if (lines.length) onLines(lines);
          delay = 500;
        }
      } catch {
        if (stopped) return;
      }
      onState("lost");
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  run();
  return () => {
    stopped = true;
    abort?.abort();
  };
}
