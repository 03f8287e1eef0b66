"""A game campaign as a chance promotion (Commercial Law 2005 art. 96-97, Decree 81/2018).

`ledger`: announced, awarded and unawarded prizes and the 50 % owed to the state budget;
`registration`: the campaign's announced value against the registration threshold;
`chain`: the draw log sealed into a hash chain per campaign, and its verification;
`winners`: the public winner list, masked; `exports`: draw log and winners for the authority.
"""
