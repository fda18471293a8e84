import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { provideZonelessChangeDetection, type ApplicationConfig } from '@angular/core';
import { provideServiceWorker } from '@angular/service-worker';
import { provideTokenBroker, tokenBrokerInterceptor } from 'sw-token-broker/angular';

const signedOut: string[] = [];
const query = new URLSearchParams(location.search);

export const appConfig: ApplicationConfig = {
  providers: [
    provideZonelessChangeDetection(),
    provideTokenBroker({ scriptUrl: '/sw.js', onSignedOut: (reason) => void signedOut.push(reason) }),
    // HttpClient on XHR (the default) or on fetch (`?fetch`, for the tests): the interceptor works with both.
    query.has('fetch') ? provideHttpClient(withFetch(), withInterceptors([tokenBrokerInterceptor])) : provideHttpClient(withInterceptors([tokenBrokerInterceptor])),
    // Angular's worker runs inside the broker's (public/sw.js): register the same script.
    // `?ngsw-alone` registers ngsw-worker.js instead, as `ng add @angular/pwa` generates it,
    // for the test that shows what then happens (the broker names it: sw-foreign).
    query.has('ngsw-alone')
      ? provideServiceWorker('ngsw-worker.js', { registrationStrategy: 'registerWithDelay:3000' })
      : provideServiceWorker('sw.js', { registrationStrategy: 'registerWhenStable:30000' }),
  ],
};

Object.assign(window, { exampleSignedOut: signedOut });
