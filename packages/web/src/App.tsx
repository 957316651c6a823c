import { useState } from 'react';
import { clearToken, saveToken, takeTokenFromUrl } from './auth/token-storage.js';
import { Dashboard } from './components/Dashboard.js';
import { SignIn } from './components/SignIn.js';

export function App() {
  const [token, setToken] = useState<string | null>(() => takeTokenFromUrl());
  if (!token) {
    return (
      <main className="signin-page">
        <SignIn
          onToken={(next) => {
            saveToken(next);
            setToken(next);
          }}
        />
      </main>
    );
  }
  return (
    <Dashboard
      token={token}
      onSignOut={() => {
        clearToken();
        setToken(null);
      }}
    />
  );
}
