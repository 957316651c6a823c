import '@xterm/xterm/css/xterm.css';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';
import './styles/ai.css';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { applyTheme, savedTheme } from './ui/theme.js';

// Before the first render, so a chosen theme never flashes the other one.
applyTheme(savedTheme());

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(<App />);
