package RT::Extension::TierMatch;

use strict;
use warnings;

our $VERSION = '0.1.0';

# RT's own web server (rt-server, Plack) serves static files by extension and does not know
# WebAssembly's: browsers compile a module as it downloads only when it comes as application/wasm.
require Plack::MIME;
Plack::MIME->add_type( '.wasm' => 'application/wasm' );

1;

__END__

=head1 NAME

RT::Extension::TierMatch - suggested tier and self-help articles on RT's ticket-create pages

=head1 DESCRIPTION

Adds tiermatch (in-browser ticket triage, WebAssembly) to the self-service create page, where
clients see matching self-help articles while they type, and to the staff create page, where
agents also see the suggested tier, its confidence and the reasons. The suggested tier and its
confidence are saved in the ticket custom fields "Suggested tier" and "Suggested tier
confidence". The ticket text never leaves the browser before the form is submitted.

=head1 INSTALLATION

See README.md beside this file.

=cut
