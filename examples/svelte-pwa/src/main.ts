import { mount } from 'svelte';
import App from './App.svelte';
import { broker } from './auth';

// Mounted once the broker is attached: the first requests carry the token. A failed start
// resolves too (null): the page then shows the session's `error`.
await broker.ready;
mount(App, { target: document.getElementById('app')! });
document.body.dataset.ready = 'true';
