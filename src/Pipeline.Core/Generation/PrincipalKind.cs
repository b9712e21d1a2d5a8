namespace Pipeline.Generation;

/// <summary>The <c>userIdentity.type</c> values the generator produces.</summary>
internal enum PrincipalKind
{
    AssumedRole,
    IamUser,
    Root,
    AwsService,
    AwsAccount,
}
