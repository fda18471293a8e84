// The app's axios instance: the broker attaches to it (see main.ts).
import axios from 'axios';

export const api = axios.create({ baseURL: '/api' });
