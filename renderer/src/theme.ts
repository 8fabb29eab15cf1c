import { Chart } from './charts/chart-setup.js';

/** The user's choice of colours: follow the system (`auto`), or always `light` or `dark`. */
export type ThemeChoice = 'auto' | 'light' | 'dark';

/** The choices in the order the toggle offers them. */
export const THEME_CHOICES: readonly ThemeChoice[] = ['auto', 'light', 'dark'];

/** localStorage key of the choice (kept per origin: the desktop app's, or the served page's). */
const STORAGE_KEY = 'schedbench-theme';

const DARK = '(prefers-color-scheme: dark)';

/** The stored choice; `auto` when none is stored or storage is unavailable. */
export function storedTheme(): ThemeChoice {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return THEME_CHOICES.includes(value as ThemeChoice) ? (value as ThemeChoice) : 'auto';
  } catch {
    return 'auto';
  }
}

/**
 * Applies a choice: `<html data-theme>` becomes `light` or `dark` (`auto` follows
 * `prefers-color-scheme`), which switches Pico CSS and the app's colour variables
 * (renderer/src/styles/app.css); Chart.js takes its text and grid colours from the variables
 * `--chart-text` and `--chart-grid` and every chart is redrawn.
 * @returns the theme in effect
 */
export function applyTheme(choice: ThemeChoice): 'light' | 'dark' {
  const theme = choice === 'auto' ? (matchMedia(DARK).matches ? 'dark' : 'light') : choice;
  const root = document.documentElement;
  root.dataset.theme = theme;
  root.dataset.themeChoice = choice;
  const style = getComputedStyle(root);
  Chart.defaults.color = style.getPropertyValue('--chart-text').trim() || '#3b4252';
  Chart.defaults.borderColor = style.getPropertyValue('--chart-grid').trim() || 'rgba(0, 0, 0, 0.1)';
  for (const chart of Object.values(Chart.instances)) chart.update('none');
  return theme;
}

/**
 * Applies the stored choice now and again when the system's preference changes (for `auto`),
 * and returns the toggle for the navigation bar: a select of auto / light / dark that stores
 * and applies the user's choice.
 */
export function themeToggle(): HTMLSelectElement {
  let choice = storedTheme();
  applyTheme(choice);
  // Paper is light: print (and the desktop app's PDF) in the light theme, then restore.
  window.addEventListener('beforeprint', () => applyTheme('light'));
  window.addEventListener('afterprint', () => applyTheme(choice));
  matchMedia(DARK).addEventListener('change', () => {
    if (choice === 'auto') applyTheme(choice);
  });
  const select = document.createElement('select');
  select.className = 'theme-toggle';
  select.setAttribute('aria-label', 'Colours');
  select.dataset.action = 'theme';
  for (const c of THEME_CHOICES) {
    const option = document.createElement('option');
    option.value = c;
    option.textContent = c === 'auto' ? 'Theme: system' : c === 'light' ? 'Theme: light' : 'Theme: dark';
    select.append(option);
  }
  select.value = choice;
  select.addEventListener('change', () => {
    choice = select.value as ThemeChoice;
    try {
      localStorage.setItem(STORAGE_KEY, choice);
    } catch {
      // Not stored (storage unavailable): the choice holds until the page is reloaded.
    }
    applyTheme(choice);
  });
  return select;
}
