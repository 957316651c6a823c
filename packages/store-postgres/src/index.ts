// The PostgreSQL Store (issue 13) is built here; the package exists so its dependency is locked once.
export {};
