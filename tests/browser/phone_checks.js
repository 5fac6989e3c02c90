// Run in the page by tests/browser/test_phone_pages.py: what is wider than the screen, what
// is too small to tap, how high the header is.
(() => {
  const width = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
    ' «' + (el.innerText || el.value || '').trim().slice(0, 40) + '»';
  const scrollsInside = (el) => {
    for (let parent = el.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      const overflow = getComputedStyle(parent).overflowX;
      if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return true;
    }
    return false;
  };
  const shown = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== 'hidden' && style.display !== 'none' && box.width > 1 && box.height > 1;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!shown(el) || el.closest('.skip-link, .visually-hidden')) continue;
    const box = el.getBoundingClientRect();
    if ((box.right > width + 1 || box.left < -1) && !scrollsInside(el)) wide.push(name(el) + ' ' + Math.round(box.width) + 'px');
  }
  const small = [];
  const targets = 'button, a.button, input[type=submit], input[type=button], [role=button]';
  for (const el of document.querySelectorAll(targets)) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width < 43.5 || box.height < 43.5) small.push(name(el) + ' ' + Math.round(box.width) + '×' + Math.round(box.height));
  }
  const header = document.querySelector('.site-header');
  return {
    scrollWidth: document.documentElement.scrollWidth,
    width: width,
    wide: wide.slice(0, 5),
    small: small.slice(0, 5),
    header: header ? Math.round(header.getBoundingClientRect().height) : 0,
  };
})
