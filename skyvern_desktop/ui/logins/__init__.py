"""The Logins screen: credentials, browser sessions, browser profiles, sign in once."""
