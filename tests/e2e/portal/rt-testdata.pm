# The portal suite's client and rights on the throw-away Request Tracker (loaded after the
# extension's etc/initialdata): an unprivileged client who may create and see tickets in General.
@Users = (
    {   Name         => 'maria.keller',
        Password     => 'tiermatch-client-1',
        EmailAddress => 'maria.keller@example.com',
        RealName     => 'Maria Keller',
        Privileged   => 0,
    },
);

@ACL = map {
    {   GroupDomain => 'SystemInternal',
        GroupType   => 'Everyone',
        Queue       => 'General',
        Right       => $_,
    }
} qw(CreateTicket SeeQueue ShowTicket ReplyToTicket);

1;
