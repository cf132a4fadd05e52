import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { attachBridge } from './app/app-store.js';
import { chooseBridge } from './bridge/ui-bridge.js';
import 'virtual:design.css';
import './app/app.css';

attachBridge(chooseBridge());
const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
