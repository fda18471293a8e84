import { HttpClient } from '@angular/common/http';
import { Component, DestroyRef, effect, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { TokenBrokerSession } from 'sw-token-broker/angular';

@Component({
  selector: 'app-root',
  template: `
    @if (session.state() === 'error') {
      <p id="state">The token broker could not start: {{ errorText() }}</p>
    } @else {
      <main>
        <h1>sw-token-broker Angular example</h1>
        <p id="state">{{ session.state() === 'logged-in' ? 'Logged in as ' + userName() : 'Logged out' }}</p>
        <p id="profile">{{ profile() }}</p>
        <button id="login" (click)="login()">Log in</button>
        <button id="call" (click)="call()" [disabled]="session.state() !== 'logged-in'">Call the API</button>
        <button id="logout" (click)="logout()">Log out</button>
        <pre id="out">{{ out() }}</pre>
      </main>
    }
  `,
})
export class App {
  protected readonly session = inject(TokenBrokerSession);
  private readonly http = inject(HttpClient);
  protected readonly out = signal('');
  protected readonly profile = signal('');

  constructor() {
    // Who is logged in, asked once per session: the session signals do not change at a refresh.
    effect(() => {
      if (this.session.state() !== 'logged-in') return this.profile.set('');
      this.session.session();
      firstValueFrom(this.http.get<{ user: string }>('/api/me')).then(
        (me) => this.profile.set(me.user),
        (failure: unknown) => this.profile.set(String(failure)),
      );
    });
    // The user's data is forgotten on every sign-out, in any tab.
    inject(DestroyRef).onDestroy(this.session.onSignedOut(() => this.out.set('')));
    // For the tests, as `window.demo` is for the demo.
    Object.assign(window, { example: { api: { get: (path: string) => firstValueFrom(this.http.get(`/api${path}`)) }, signedOut: (window as unknown as { exampleSignedOut: string[] }).exampleSignedOut } });
  }

  protected userName(): string {
    return String(this.session.claims()?.['name'] ?? '?');
  }

  protected errorText(): string {
    return String(this.session.error());
  }

  protected login(): void {
    void this.session.login({ username: 'demo', password: 'demo' });
  }

  protected logout(): void {
    void this.session.logout();
  }

  protected async call(): Promise<void> {
    try {
      this.out.set(JSON.stringify(await firstValueFrom(this.http.get('/api/me'))));
    } catch (failure) {
      this.out.set(String(failure));
    }
  }
}
