namespace Pipeline.Parsing;

/// <summary>The values of one CloudTrail record that the KMS projection reads, as slices of the record bytes.</summary>
internal struct KmsRecordFields
{
    public Utf8Slice EventVersion;
    public Utf8Slice EventTime;
    public Utf8Slice EventSource;
    public Utf8Slice EventName;
    public Utf8Slice AwsRegion;
    public Utf8Slice SourceIpAddress;
    public Utf8Slice UserAgent;
    public Utf8Slice ErrorCode;
    public Utf8Slice ErrorMessage;
    public Utf8Slice RequestId;
    public Utf8Slice EventId;
    public Utf8Slice EventType;
    public Utf8Slice RecipientAccountId;
    public Utf8Slice SharedEventId;
    public Utf8Slice VpcEndpointId;
    public Utf8Slice EventCategory;
    public bool? ReadOnly;
    public bool? ManagementEvent;

    // userIdentity
    public Utf8Slice IdentityType;
    public Utf8Slice IdentityPrincipalId;
    public Utf8Slice IdentityArn;
    public Utf8Slice IdentityAccountId;
    public Utf8Slice AccessKeyId;
    public Utf8Slice IdentityUserName;
    public Utf8Slice InvokedBy;
    public Utf8Slice IssuerArn;
    public Utf8Slice OnBehalfOfUserId; // userIdentity.onBehalfOf.userId: the IAM Identity Center user

    // requestParameters / responseElements / additionalEventData / resources
    public Utf8Slice RequestParameters;
    public Utf8Slice ResponseElements;
    public Utf8Slice AdditionalEventData;
    public Utf8Slice Resources;
    public Utf8Slice RequestKeyId;
    public Utf8Slice EncryptionAlgorithm;
    public Utf8Slice KeySpec;
    public Utf8Slice EncryptionContext;
    public Utf8Slice GranteePrincipal;
    public Utf8Slice Operations;
    public Utf8Slice Policy;
    public int? PendingWindowDays;
    public bool? BypassLockoutCheck;
    public Utf8Slice ResponseKeyId;
    public Utf8Slice ResponseKeyArn;
    public Utf8Slice ResourceKeyArn;
    public Utf8Slice ResourceKeyAccountId;
}
