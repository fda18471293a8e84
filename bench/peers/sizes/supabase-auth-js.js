// What a supabase auth-js page loads for auth: the client (supabase-js adds PostgREST and the rest).
export { GoTrueClient } from '@supabase/auth-js';
