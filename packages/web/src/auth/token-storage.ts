/** The dashboard token lives in sessionStorage: it survives reloads of this tab, not the browser. */
const KEY = 'onsembl.dashboardToken';

/**
 * Takes `?token=` out of the address bar (so it does not linger in history, bookmarks or screenshots)
 * and keeps it for the session; returns the session's token, if any.
 */
export function takeTokenFromUrl(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    saveToken(fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
  return loadToken();
}

export function loadToken(): string | null {
  try {
    return window.sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the user pastes the token each time
  }
}

export function saveToken(token: string): void {
  try {
    window.sessionStorage.setItem(KEY, token.trim());
  } catch {
    // storage disabled: the token still works for this page
  }
}

export function clearToken(): void {
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}
