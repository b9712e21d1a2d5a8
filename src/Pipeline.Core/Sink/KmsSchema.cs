namespace Pipeline.Sink;

/// <summary>
/// The single definition of the <c>kms_events</c> columns. The projection, the Parquet writer, the docs and the
/// tests all read this table, so a column is added in one place. <c>event_date</c> is not stored in the files:
/// it is the Hive partition (<c>event_date=YYYY-MM-DD</c>) derived from <c>event_time</c> in UTC.
/// </summary>
internal static class KmsSchema
{
    // String slots.
    public const int EventId = 0;
    public const int EventName = 1;
    public const int EventType = 2;
    public const int EventVersion = 3;
    public const int EventCategory = 4;
    public const int AwsRegion = 5;
    public const int SourceIpAddress = 6;
    public const int UserAgent = 7;
    public const int ErrorCode = 8;
    public const int ErrorMessage = 9;
    public const int RequestId = 10;
    public const int RecipientAccountId = 11;
    public const int SharedEventId = 12;
    public const int DedupeKey = 13;
    public const int VpcEndpointId = 14;
    public const int IdentityType = 15;
    public const int IdentityArn = 16;
    public const int IdentityPrincipalId = 17;
    public const int IdentityUserName = 18;
    public const int AccessKeyId = 19;
    public const int CallerAccountId = 20;
    public const int InvokedBy = 21;
    public const int PrincipalArn = 22;
    public const int PrincipalKind = 23;
    public const int SessionName = 24;
    public const int SessionIssuerArn = 25;
    public const int KeyArn = 26;
    public const int KeyId = 27;
    public const int KeyAccountId = 28;
    public const int KeyRegion = 29;
    public const int KeyRef = 30;
    public const int EncryptionAlgorithm = 31;
    public const int KeySpec = 32;
    public const int EncryptionContextJson = 33;
    public const int GranteePrincipal = 34;
    public const int GrantOperations = 35;
    public const int PolicyJson = 36;
    public const int RequestParametersJson = 37;
    public const int ResponseElementsJson = 38;
    public const int AdditionalEventDataJson = 39;
    public const int ResourcesJson = 40;
    public const int SrcBucket = 41;
    public const int SrcKey = 42;
    public const int StringCount = 43;

    // Timestamp slots.
    public const int EventTime = 0;
    public const int IngestTime = 1;
    public const int TimestampCount = 2;

    // Boolean slots.
    public const int ReadOnly = 0;
    public const int ManagementEvent = 1;
    public const int IsCrossAccount = 2;
    public const int IsAwsServiceCall = 3;
    public const int BypassPolicyLockoutSafetyCheck = 4;
    public const int BooleanCount = 5;

    // Int32 slots.
    public const int PendingWindowDays = 0;
    public const int SrcRecordIndex = 1;
    public const int Int32Count = 2;

    /// <summary>Columns in file order. Sorting keys first so that they lead the row groups.</summary>
    public static readonly ColumnSpec[] Columns =
    [
        S("event_id", EventId, false, "CloudTrail eventID (unique per delivered event copy); no-event-id:<hash of the record> when the record has none"),
        T("event_time", EventTime, false, "eventTime, UTC, microsecond precision"),
        S("event_name", EventName, false, "KMS API name: Decrypt, GenerateDataKey, ScheduleKeyDeletion, ..."),
        S("event_type", EventType, true, "AwsApiCall, AwsServiceEvent, ..."),
        S("event_version", EventVersion, true, "eventVersion"),
        S("event_category", EventCategory, true, "Management or Data"),
        S("aws_region", AwsRegion, true, "awsRegion"),
        S("source_ip_address", SourceIpAddress, true, "sourceIPAddress (an IP, or a service name such as kms.amazonaws.com)"),
        S("user_agent", UserAgent, true, "userAgent"),
        S("error_code", ErrorCode, true, "errorCode; null when the call succeeded"),
        S("error_message", ErrorMessage, true, "errorMessage"),
        B("read_only", ReadOnly, true, "readOnly"),
        B("management_event", ManagementEvent, true, "managementEvent"),
        S("request_id", RequestId, true, "requestID"),
        S("recipient_account_id", RecipientAccountId, true, "account whose trail received this copy"),
        S("shared_event_id", SharedEventId, true, "sharedEventID: same action delivered to several accounts"),
        S("dedupe_key", DedupeKey, false, "coalesce(shared_event_id, event_id): count actions by this"),
        S("vpc_endpoint_id", VpcEndpointId, true, "vpcEndpointId"),
        S("identity_type", IdentityType, true, "userIdentity.type: AssumedRole, IAMUser, AWSService, AWSAccount, Root, ..."),
        S("identity_arn", IdentityArn, true, "userIdentity.arn as logged (session ARN for assumed roles)"),
        S("identity_principal_id", IdentityPrincipalId, true, "userIdentity.principalId"),
        S("identity_user_name", IdentityUserName, true, "userIdentity.userName"),
        S("access_key_id", AccessKeyId, true, "userIdentity.accessKeyId (an identifier, not a secret)"),
        S("caller_account_id", CallerAccountId, true, "userIdentity.accountId: the caller's account"),
        S("invoked_by", InvokedBy, true, "userIdentity.invokedBy: the AWS service that called on the principal's behalf"),
        S("principal_arn", PrincipalArn, true, "normalised principal: role ARN for assumed-role sessions, service:<name> for services"),
        S("principal_kind", PrincipalKind, true, "role, user, root, service, account, federated, identity_center, saml, web_identity, unknown"),
        S("session_name", SessionName, true, "assumed-role session name"),
        S("session_issuer_arn", SessionIssuerArn, true, "userIdentity.sessionContext.sessionIssuer.arn"),
        S("key_arn", KeyArn, true, "KMS key ARN from resources[], else from the request/response when it is a key ARN; never made up from an alias"),
        S("key_id", KeyId, true, "key id (UUID or mrk-...): from key_arn, else the bare key id of the request or response (key_arn stays null)"),
        S("key_account_id", KeyAccountId, true, "account that owns the key (from key_arn)"),
        S("key_region", KeyRegion, true, "region of the key (from key_arn)"),
        S("key_ref", KeyRef, true, "requestParameters.keyId as requested: alias, id or ARN"),
        S("encryption_algorithm", EncryptionAlgorithm, true, "requestParameters.encryptionAlgorithm"),
        S("key_spec", KeySpec, true, "requestParameters.keySpec (GenerateDataKey*, CreateKey)"),
        S("encryption_context_json", EncryptionContextJson, true, "requestParameters.encryptionContext (ReEncrypt: sourceEncryptionContext) as minified JSON"),
        S("grantee_principal", GranteePrincipal, true, "requestParameters.granteePrincipal (CreateGrant)"),
        S("grant_operations", GrantOperations, true, "requestParameters.operations joined with ',' (CreateGrant)"),
        S("policy_json", PolicyJson, true, "key policy text of PutKeyPolicy/CreateKey, minified JSON"),
        I("pending_window_days", PendingWindowDays, true, "pendingWindowInDays (ScheduleKeyDeletion)"),
        B("bypass_policy_lockout_safety_check", BypassPolicyLockoutSafetyCheck, true, "requestParameters.bypassPolicyLockoutSafetyCheck"),
        B("is_cross_account", IsCrossAccount, false, "caller account differs from key account (both known)"),
        B("is_aws_service_call", IsAwsServiceCall, false, "identity_type = AWSService or invoked_by set"),
        S("request_parameters_json", RequestParametersJson, true, "requestParameters, minified JSON"),
        S("response_elements_json", ResponseElementsJson, true, "responseElements, minified JSON"),
        S("additional_event_data_json", AdditionalEventDataJson, true, "additionalEventData, minified JSON"),
        S("resources_json", ResourcesJson, true, "resources, minified JSON"),
        S("src_bucket", SrcBucket, true, "bucket of the source CloudTrail object (null for local files)"),
        S("src_key", SrcKey, false, "key of the source object, or the local file path"),
        I("src_record_index", SrcRecordIndex, false, "position of the record in the source's Records[]"),
        T("ingest_time", IngestTime, false, "when this pipeline wrote the row, UTC"),
    ];

    /// <summary>Whether values of <paramref name="column"/> repeat across rows, so dictionary encoding may pay (not for ids unique per event).</summary>
    public static bool MayRepeat(ColumnSpec column) =>
        column.Kind == ColumnKind.String && column.Slot is not (EventId or RequestId or SharedEventId or DedupeKey);

    public static int IndexOf(string name)
    {
        for (var i = 0; i < Columns.Length; i++)
        {
            if (Columns[i].Name == name)
            {
                return i;
            }
        }

        throw new ArgumentException($"Unknown column '{name}'.", nameof(name));
    }

    private static ColumnSpec S(string name, int slot, bool nullable, string doc) => new(name, ColumnKind.String, nullable, slot, doc);

    private static ColumnSpec T(string name, int slot, bool nullable, string doc) => new(name, ColumnKind.Timestamp, nullable, slot, doc);

    private static ColumnSpec B(string name, int slot, bool nullable, string doc) => new(name, ColumnKind.Boolean, nullable, slot, doc);

    private static ColumnSpec I(string name, int slot, bool nullable, string doc) => new(name, ColumnKind.Int32, nullable, slot, doc);
}
