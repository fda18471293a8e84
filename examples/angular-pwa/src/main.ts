import { bootstrapApplication } from '@angular/platform-browser';
import { App } from './app';
import { appConfig } from './app.config';

// bootstrapApplication waits for provideTokenBroker's initializer: the first requests carry the token.
bootstrapApplication(App, appConfig).then(
  () => (document.body.dataset['ready'] = 'true'),
  (error: unknown) => console.error(error),
);
