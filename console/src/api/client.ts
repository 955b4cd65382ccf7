// The one way the console talks to the server: the public API with the signed-in key.

import { forgetKey, storedKey } from "../auth/session";

export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface ErrorBody {
  message?: string;
  detail?: string;
}

type Listener = (reason: string) => void;
let onSignedOut: Listener = () => undefined;

/** Called when the key stops working (expired or revoked): the app signs out. */
export function whenSignedOut(listener: Listener): void {
  onSignedOut = listener;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let text = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as ErrorBody;
    text = body.message ?? body.detail ?? text;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, text);
}

export async function request<T>(path: string, init: RequestInit = {}, key = storedKey()): Promise<T> {
  const headers = new Headers(init.headers);
  if (key) headers.set("Authorization", `Bearer ${key}`);
  const response = await fetch(path, { ...init, headers });
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && key === storedKey()) {
      forgetKey();
      onSignedOut(`Signed out: ${error.message}`);
    }
    throw error;
  }
  return (await response.json()) as T;
}
