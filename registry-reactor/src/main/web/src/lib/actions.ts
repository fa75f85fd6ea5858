// Svelte actions shared by the pages.

/**
 * Moves the keyboard focus (and so a screen reader) to an element when it appears: the card that
 * shows a secret once. The element needs tabindex="-1" to take the focus.
 */
export function focusOnMount(node: HTMLElement) {
  node.focus();
}
