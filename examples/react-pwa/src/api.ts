// The app's axios instance and query client: the broker attaches to the first, and every
// sign-out clears the second (see main.tsx).
import { QueryClient } from '@tanstack/react-query';
import axios from 'axios';
import { isSignedOutError } from 'sw-token-broker';

export const api = axios.create({ baseURL: '/api' });

export const queryClient = new QueryClient({
  defaultOptions: {
    // A request without a session fails the same way every time: do not retry it.
    queries: { retry: (failures, error) => !isSignedOutError(error) && failures < 3 },
  },
});
