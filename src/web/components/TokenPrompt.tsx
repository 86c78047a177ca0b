import { useState } from "react";
import { saveToken, savedToken } from "../api.ts";

/** Asks for the server's auth token after a change was refused as unauthenticated. */
export function TokenPrompt({ onSaved }: { onSaved(): void }) {
  const [token, setToken] = useState(savedToken());
  return (
    <form
      className="token-prompt"
      onSubmit={(e) => {
        e.preventDefault();
        saveToken(token.trim());
        onSaved();
      }}
    >
      <label htmlFor="dfut-token">This server needs its auth token for changes.</label>
      <div className="row">
        <input id="dfut-token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} placeholder="token" />
        <button type="submit" className="btn">
          Save token
        </button>
      </div>
    </form>
  );
}
