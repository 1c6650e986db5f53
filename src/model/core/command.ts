// How whoever runs a generated stack gets the generator's command to regenerate it: the words of
// the generated README. The package is installed from its git URL (it is on no registry), packed
// first because npm cannot build a package it installs globally from git.
export interface CommandWords {
  package: string;
  /** A global install: `bindplane-distributed` on the PATH. */
  install: string;
  /** One run without installing. */
  npx: string;
}

export function commandWords(): CommandWords {
  const pkg = 'generator-bindplane-distributed';
  return {
    package: pkg,
    install: 'npm install --global "$(npm pack --silent git+URL)"',
    npx: 'npx --yes --package git+URL bindplane-distributed',
  };
}
