/** The user's colour scheme: follow the system (the default), or always light or dark. */
export const Theme = { system: 'system', light: 'light', dark: 'dark' } as const;
export type Theme = (typeof Theme)[keyof typeof Theme];

const KEY = 'onsembl.theme';

export function savedTheme(storage: Storage | undefined = globalThis.localStorage): Theme {
  try {
    const value = storage?.getItem(KEY);
    return value === Theme.light || value === Theme.dark ? value : Theme.system;
  } catch {
    return Theme.system;
  }
}

/** Applies it to the document (base.css reads `data-theme`) and remembers it. */
export function applyTheme(theme: Theme, storage: Storage | undefined = globalThis.localStorage): void {
  if (theme === Theme.system) document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
  try {
    storage?.setItem(KEY, theme);
  } catch {
    // Not remembered; it still applies to this page.
  }
}
