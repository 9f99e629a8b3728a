import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { I18nProvider } from './i18n/I18n';
import './styles.css';

// React Aria injects a <style> for touch-action on pressable elements unless an element with this
// id exists; the CSP allows no inline style, so the rule lives in styles.css and this marks it.
const marker = document.createElement('meta');
marker.id = 'react-aria-pressable-style';
document.head.append(marker);

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <I18nProvider>
      <App />
    </I18nProvider>
  </StrictMode>,
);
