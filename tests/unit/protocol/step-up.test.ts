/** protocol/step-up.ts: RFC 9470's challenge read from WWW-Authenticate, and the typed error built from it. */
import { describe, expect, it } from 'vitest';
import { StepUpRequiredError, errorFromWire, toWireError } from '../../../protocol/index.js';
import { stepUpChallenge, stepUpError } from '../../../protocol/step-up.js';

describe('the step-up challenge (RFC 9470)', () => {
  it('reads acr_values and max_age, quoted or not, from a Bearer or DPoP challenge', () => {
    expect(stepUpChallenge('Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR"')).toEqual({ acrValues: 'myACR' });
    expect(stepUpChallenge('Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5"')).toEqual({ maxAge: 5 });
    expect(stepUpChallenge('DPoP algs="ES256", error=insufficient_user_authentication, acr_values="urn:mfa urn:hwk", max_age=300')).toEqual({ acrValues: 'urn:mfa urn:hwk', maxAge: 300 });
    expect(stepUpChallenge('Bearer error="insufficient_user_authentication"')).toEqual({});
  });

  it('is no challenge for an expired or invalid token, another error, or no header', () => {
    expect(stepUpChallenge('Bearer error="invalid_token", error_description="expired"')).toBeUndefined();
    expect(stepUpChallenge('Bearer realm="api"')).toBeUndefined();
    expect(stepUpChallenge('Bearer error_description="insufficient_user_authentication"')).toBeUndefined();
    expect(stepUpChallenge(null)).toBeUndefined();
    expect(stepUpChallenge(`Bearer error="insufficient_user_authentication", acr_values="${'a'.repeat(5000)}"`)).toBeUndefined();
  });

  it('ignores a max_age that is not a number of seconds', () => {
    expect(stepUpChallenge('Bearer error="insufficient_user_authentication", max_age="soon"')).toEqual({});
  });

  it('makes a StepUpRequiredError only for a 401, naming what was asked, and it crosses the wire with its details', () => {
    expect(stepUpError(403, 'Bearer error="insufficient_user_authentication"')).toBeUndefined();
    const error = stepUpError(401, 'Bearer error="insufficient_user_authentication", acr_values="mfa", max_age=60')!;
    expect(error).toBeInstanceOf(StepUpRequiredError);
    expect(error).toMatchObject({ code: 'step-up-required', details: { status: 401, acrValues: 'mfa', maxAge: 60 }, retryable: false });
    expect(error.message).toMatch(/acr_values "mfa" and max_age 60/);
    const copy = errorFromWire(toWireError(error));
    expect(copy).toBeInstanceOf(StepUpRequiredError);
    expect(copy).toMatchObject({ details: { acrValues: 'mfa', maxAge: 60 } });
  });
});
