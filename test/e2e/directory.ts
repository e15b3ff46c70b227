/** The directory every end-to-end test uses: contoso.com is internal; these mailboxes are known. */
export const E2E_DIRECTORY = {
  domains: ['contoso.com'],
  addresses: [
    'alice@contoso.com',
    'bob@contoso.com',
    'carol@contoso.com',
    'dave@contoso.com',
    'erin@contoso.com',
    'frank@contoso.com',
    'gina@contoso.com',
    'hank@contoso.com',
    'peter@contoso.com',
    'rita@contoso.com',
    'olivia@contoso.com',
    'sam@contoso.com',
    'lena.muller@contoso.com',
    'abe@contoso.com',
    'vera@contoso.com',
  ],
};
