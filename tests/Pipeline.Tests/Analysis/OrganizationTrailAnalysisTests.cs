using Pipeline.Analysis;
using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Analysis;

/// <summary>
/// Analysis over records in the shapes an organization trail delivers them (ingested through the CLI): the pairing of
/// a deletion with its cancellation, and the two copies of a cross-account call.
/// </summary>
public sealed class OrganizationTrailAnalysisTests : TrailDatasetTest
{
    private const string Key = "1234abcd-12ab-34cd-56ef-1234567890ab";
    private const string KeyArn = "arn:aws:kms:us-east-1:111122223333:key/" + Key;
    private const string OtherKeyArn = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";

    private static readonly DateOnly Day = new(2026, 1, 15);

    private static string Admin(string eventId, string time, string eventName, string keyArn, string requestKeyId, string requestExtra, string response) =>
        $$$"""
        {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEADMIN","arn":"arn:aws:iam::111122223333:user/key-admin","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEADMIN","userName":"key-admin"},"eventTime":"{{{time}}}","eventSource":"kms.amazonaws.com","eventName":"{{{eventName}}}","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.15.0","requestParameters":{"keyId":"{{{requestKeyId}}}"{{{requestExtra}}}},"responseElements":{{{response}}},"requestID":"req-{{{eventId}}}","eventID":"{{{eventId}}}","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{{keyArn}}}"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
        """;

    private static string Schedule(string eventId, string time, string keyArn, string requestKeyId, int days) =>
        Admin(eventId, time, "ScheduleKeyDeletion", keyArn, requestKeyId, $",\"pendingWindowInDays\":{days}",
            $$$"""{"keyId":"{{{keyArn}}}","deletionDate":"Jan 22, 2026, 12:00:00 AM","keyState":"PendingDeletion","pendingWindowInDays":{{{days}}}}""");

    private static string Cancel(string eventId, string time, string keyArn, string requestKeyId) =>
        Admin(eventId, time, "CancelKeyDeletion", keyArn, requestKeyId, string.Empty, $$$"""{"keyId":"{{{keyArn}}}"}""");

    private async Task<IReadOnlyList<Finding>> HighPriorityAsync()
    {
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);
        return await HighPriorityEvents.FindAsync(q, Day, new HashSet<string> { "111122223333" }, new HashSet<string>(), CancellationToken.None);
    }

    [Fact]
    public async Task A_deletion_cancelled_later_is_one_low_finding_and_an_open_one_stays_critical()
    {
        // The schedule names the key by id, its cancellation by ARN (18 minutes later, in another file).
        Trail.AddLogFile(CloudTrailRecords.Document(Schedule("s-1", "2026-01-15T10:00:00Z", KeyArn, Key, 7), Schedule("s-2", "2026-01-15T11:00:00Z", OtherKeyArn, OtherKeyArn, 7)));
        Trail.AddLogFile(CloudTrailRecords.Document(Cancel("c-1", "2026-01-15T10:18:00Z", KeyArn, KeyArn)));

        var findings = await HighPriorityAsync();

        var cancelled = Assert.Single(findings, f => f.KeyArn == KeyArn);
        Assert.Equal((FindingKind.KeyDeletionScheduled, Severity.Low), (cancelled.Kind, cancelled.Severity));
        Assert.Equal("Key scheduled for deletion in 7 days, cancelled 18 min later", cancelled.Title);
        Assert.Equal(["s-1", "c-1"], cancelled.EventIds);
        Assert.Equal("arn:aws:iam::111122223333:user/key-admin", (string?)cancelled.Details!["cancelled_by"]);

        var open = Assert.Single(findings, f => f.KeyArn == OtherKeyArn);
        Assert.Equal((FindingKind.KeyDeletionScheduled, Severity.Critical), (open.Kind, open.Severity));
    }

    [Fact]
    public async Task A_cancellation_of_an_earlier_days_deletion_is_reported_with_the_schedule_it_closes()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(Schedule("s-1", "2026-01-12T09:00:00Z", KeyArn, Key, 30)));
        Trail.AddLogFile(CloudTrailRecords.Document(Cancel("c-1", "2026-01-15T10:18:00Z", KeyArn, Key)));

        var finding = Assert.Single(await HighPriorityAsync());

        Assert.Equal((FindingKind.KeyDeletionCancelled, Severity.Info), (finding.Kind, finding.Severity));
        Assert.Equal("s-1", (string?)finding.Details!["schedule_event_id"]);
    }

    [Fact]
    public async Task A_schedule_after_a_cancellation_of_the_same_key_stays_open()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(Cancel("c-0", "2026-01-15T08:00:00Z", KeyArn, Key), Schedule("s-1", "2026-01-15T10:00:00Z", KeyArn, Key, 7)));

        var findings = await HighPriorityAsync();

        Assert.Contains(findings, f => f.Kind == FindingKind.KeyDeletionScheduled && f.Severity == Severity.Critical);
        Assert.Contains(findings, f => f.Kind == FindingKind.KeyDeletionCancelled);
    }

    [Fact]
    public async Task A_key_disabled_and_enabled_again_is_low_while_one_that_stays_disabled_is_high_and_a_failed_disable_is_nothing()
    {
        var denied = Admin("d-3", "2026-01-15T12:00:00Z", "DisableKey", OtherKeyArn, OtherKeyArn, string.Empty, "null")
            .Replace("\"requestID\"", "\"errorCode\":\"AccessDeniedException\",\"errorMessage\":\"not authorized\",\"requestID\"", StringComparison.Ordinal);
        Trail.AddLogFile(CloudTrailRecords.Document(
            Admin("d-1", "2026-01-15T13:00:00Z", "DisableKey", KeyArn, Key, string.Empty, "null"),
            Admin("e-1", "2026-01-15T13:02:00Z", "EnableKey", KeyArn, KeyArn, string.Empty, "null"),
            Admin("d-2", "2026-01-15T14:00:00Z", "DisableKey", OtherKeyArn, OtherKeyArn, string.Empty, "null"),
            denied,
            Admin("e-0", "2026-01-15T09:00:00Z", "EnableKey", OtherKeyArn, OtherKeyArn, string.Empty, "null")));

        var findings = await HighPriorityAsync();

        Assert.Equal(2, findings.Count);
        var reenabled = Assert.Single(findings, f => f.KeyArn == KeyArn);
        Assert.Equal((FindingKind.KeyDisabled, Severity.Low, "Key disabled, enabled again 2 min later"), (reenabled.Kind, reenabled.Severity, reenabled.Title));
        Assert.Equal(["d-1", "e-1"], reenabled.EventIds);
        Assert.Equal("2026-01-15T13:02:00.000Z", (string?)reenabled.Details!["enabled_at"]);
        var disabled = Assert.Single(findings, f => f.KeyArn == OtherKeyArn);
        Assert.Equal((FindingKind.KeyDisabled, Severity.High, "d-2"), (disabled.Kind, disabled.Severity, disabled.EventIds[0]));
    }

    [Fact]
    public async Task A_deletion_within_the_hour_after_the_same_principal_opened_the_keys_policy_says_so()
    {
        const string policy = ",\"policyName\":\"default\",\"policy\":\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[]}\"";
        Trail.AddLogFile(CloudTrailRecords.Document(
            Admin("p-1", "2026-01-15T10:00:00Z", "PutKeyPolicy", KeyArn, Key, policy, "null"),
            Schedule("s-1", "2026-01-15T10:29:00Z", KeyArn, KeyArn, 7),
            Admin("p-2", "2026-01-15T08:00:00Z", "PutKeyPolicy", OtherKeyArn, OtherKeyArn, policy, "null"),
            Schedule("s-2", "2026-01-15T10:30:00Z", OtherKeyArn, OtherKeyArn, 7)));

        var findings = await HighPriorityAsync();

        var sequence = Assert.Single(findings, f => f.Kind == FindingKind.KeyDeletionScheduled && f.KeyArn == KeyArn);
        // (Both keys' deletions by one principal within the hour also make each critical: see the mass-destruction test.)
        Assert.StartsWith("Key scheduled for deletion in 7 days, 29 min after a PutKeyPolicy by the same principal", sequence.Title, StringComparison.Ordinal);
        Assert.Equal("p-1", (string?)sequence.Details!["preceded_by_event_id"]);
        var later = Assert.Single(findings, f => f.Kind == FindingKind.KeyDeletionScheduled && f.KeyArn == OtherKeyArn);
        Assert.DoesNotContain("after a", later.Title, StringComparison.Ordinal); // the policy change was 2.5 hours before
    }

    [Fact]
    public async Task Kms_deleting_expired_material_of_several_keys_at_once_is_not_escalated_as_one_principals_doing()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(
            KmsServiceEvent("m-1", "2026-01-15T00:00:05Z", "DeleteExpiredKeyMaterial", KeyArn),
            KmsServiceEvent("m-2", "2026-01-15T00:00:09Z", "DeleteExpiredKeyMaterial", OtherKeyArn)));

        var findings = await HighPriorityAsync();

        Assert.Equal(2, findings.Count);
        Assert.All(findings, f => Assert.Equal((FindingKind.KeyMaterialDeleted, Severity.High), (f.Kind, f.Severity)));
    }

    [Fact]
    public async Task One_principal_making_several_keys_unusable_within_the_hour_makes_each_finding_critical()
    {
        const string thirdKeyArn = "arn:aws:kms:us-east-1:111122223333:key/5555eeee-55ee-55ee-55ee-5555eeee5555";
        const string fourthKeyArn = "arn:aws:kms:us-east-1:111122223333:key/6666ffff-66ff-66ff-66ff-6666ffff6666";
        Trail.AddLogFile(CloudTrailRecords.Document(
            Schedule("s-1", "2026-01-15T10:00:00Z", KeyArn, KeyArn, 30),
            Admin("d-1", "2026-01-15T10:40:00Z", "DisableKey", OtherKeyArn, OtherKeyArn, string.Empty, "null"),
            Schedule("s-3", "2026-01-15T10:50:00Z", thirdKeyArn, thirdKeyArn, 30),
            Cancel("c-3", "2026-01-15T10:55:00Z", thirdKeyArn, thirdKeyArn),
            Schedule("s-4", "2026-01-15T14:00:00Z", fourthKeyArn, fourthKeyArn, 30)));

        var findings = await HighPriorityAsync();

        var deletion = Assert.Single(findings, f => f.KeyArn == KeyArn);
        Assert.Equal((Severity.Critical, "Key scheduled for deletion in 30 days (one of 2 keys this principal made unusable within an hour)"), (deletion.Severity, deletion.Title));
        Assert.Equal(2, (int)deletion.Details["keys_made_unusable_within_hour"]!);
        Assert.Equal(Severity.Critical, Assert.Single(findings, f => f.KeyArn == OtherKeyArn).Severity);
        Assert.Equal(Severity.Low, Assert.Single(findings, f => f.KeyArn == thirdKeyArn).Severity); // cancelled: not unusable
        Assert.Equal(Severity.High, Assert.Single(findings, f => f.KeyArn == fourthKeyArn).Severity); // hours later
    }

    [Fact]
    public async Task Keys_made_unusable_by_two_sessions_of_one_role_are_escalated_under_a_title_that_names_the_sessions()
    {
        // Two people behind one SSO permission set: one principal (the role), two sessions.
        static string Sso(string record, string session) => record.Replace(
            """{"type":"IAMUser","principalId":"AIDAEXAMPLEADMIN","arn":"arn:aws:iam::111122223333:user/key-admin","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEADMIN","userName":"key-admin"}""",
            $$$$"""{"type":"AssumedRole","principalId":"AROAEXAMPLESSO:{{{{session}}}}","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_KeyAdmin_0123456789abcdef/{{{{session}}}}","accountId":"111122223333","accessKeyId":"ASIAEXAMPLESSO","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLESSO","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_KeyAdmin_0123456789abcdef","accountId":"111122223333","userName":"AWSReservedSSO_KeyAdmin_0123456789abcdef"},"attributes":{"creationDate":"2026-01-15T09:00:00Z","mfaAuthenticated":"false"}}}""",
            StringComparison.Ordinal);
        Trail.AddLogFile(CloudTrailRecords.Document(
            Sso(Schedule("s-1", "2026-01-15T10:00:00Z", KeyArn, KeyArn, 30), "alice@example.com"),
            Sso(Admin("d-1", "2026-01-15T10:40:00Z", "DisableKey", OtherKeyArn, OtherKeyArn, string.Empty, "null"), "bob@example.com")));

        var findings = await HighPriorityAsync();

        var deletion = Assert.Single(findings, f => f.KeyArn == KeyArn);
        Assert.Equal(Severity.Critical, deletion.Severity);
        Assert.EndsWith("(one of 2 keys this principal made unusable within an hour, from 2 sessions: alice@example.com, bob@example.com)", deletion.Title, StringComparison.Ordinal);
        Assert.Equal(["alice@example.com", "bob@example.com"], deletion.Details["sessions_within_hour"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task A_deletion_just_after_midnight_follows_a_policy_change_of_the_evening_before()
    {
        const string policy = ",\"policyName\":\"default\",\"policy\":\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[]}\"";
        Trail.AddLogFile(CloudTrailRecords.Document(
            Admin("p-1", "2026-01-14T23:40:00Z", "PutKeyPolicy", KeyArn, Key, policy, "null"),
            Admin("p-2", "2026-01-14T22:50:00Z", "PutKeyPolicy", OtherKeyArn, OtherKeyArn, policy, "null")));
        Trail.AddLogFile(CloudTrailRecords.Document(
            Schedule("s-1", "2026-01-15T00:10:00Z", KeyArn, KeyArn, 7),
            Schedule("s-2", "2026-01-15T00:10:00Z", OtherKeyArn, OtherKeyArn, 7)));

        var findings = await HighPriorityAsync();

        var sequence = Assert.Single(findings, f => f.KeyArn == KeyArn);
        Assert.StartsWith("Key scheduled for deletion in 7 days, 30 min after a PutKeyPolicy by the same principal", sequence.Title, StringComparison.Ordinal);
        Assert.Equal(("p-1", "2026-01-14T23:40:00.000Z"), ((string?)sequence.Details!["preceded_by_event_id"], (string?)sequence.Details["preceded_at"]));
        Assert.DoesNotContain("after a", Assert.Single(findings, f => f.KeyArn == OtherKeyArn).Title, StringComparison.Ordinal); // 80 min before
    }

    private static string AdminCall(string eventId, string eventName, string requestParameters, string resources) =>
        $$$"""
        {"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEADMIN","arn":"arn:aws:iam::111122223333:user/key-admin","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEADMIN","userName":"key-admin"},"eventTime":"2026-01-15T12:00:00Z","eventSource":"kms.amazonaws.com","eventName":"{{{eventName}}}","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.15.0","requestParameters":{{{requestParameters}}},"responseElements":null,"requestID":"req-{{{eventId}}}","eventID":"{{{eventId}}}","readOnly":false,{{{resources}}}"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
        """;

    [Fact]
    public async Task Alias_and_custom_key_store_changes_and_a_replica_given_an_open_policy_are_reported()
    {
        const string openPolicy = """{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}""";
        Trail.AddLogFile(CloudTrailRecords.Document(
            AdminCall("alias-1", "UpdateAlias", $$"""{"aliasName":"alias/payments","targetKeyId":"{{Key}}"}""", $$"""
                "resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:alias/payments"},{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{KeyArn}}"}],
                """.Trim()),
            AdminCall("cks-1", "DisconnectCustomKeyStore", """{"customKeyStoreId":"cks-1234567890abcdef0"}""", string.Empty),
            AdminCall("cks-2", "ConnectCustomKeyStore", """{"customKeyStoreId":"cks-1234567890abcdef0"}""", string.Empty),
            AdminCall("rep-1", "ReplicateKey", $$"""{"keyId":"{{Key}}","replicaRegion":"eu-west-1","policy":"{{openPolicy}}","bypassPolicyLockoutSafetyCheck":false}""", $$"""
                "resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{KeyArn}}"}],
                """.Trim())));

        var findings = await HighPriorityAsync();

        var alias = Assert.Single(findings, f => f.Kind == FindingKind.AliasChanged);
        Assert.Equal(("Alias alias/payments pointed to another key", Severity.Medium, KeyArn), (alias.Title, alias.Severity, alias.KeyArn));
        Assert.Null(alias.Details!["previous_key"]);
        Assert.Equal(
            [("cks-1", Severity.High), ("cks-2", Severity.Medium)],
            findings.Where(f => f.Kind == FindingKind.CustomKeyStoreChanged).Select(f => (f.EventIds[0], f.Severity)));
        var replica = Assert.Single(findings, f => f.Kind == FindingKind.KeyReplicated);
        Assert.Equal(Severity.Critical, replica.Severity);
        Assert.Contains("wildcard_principal_without_condition", replica.Title, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replica_policy_logged_in_the_response_is_linted_like_a_requested_one()
    {
        // As the KMS developer guide shows ReplicateKey: the new replica's policy is in responseElements.replicaPolicy.
        const string replicaPolicy = """{\n  \"Version\":\"2012-10-17\",\n  \"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:user/Mallory\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]\n}""";
        Trail.AddLogFile(CloudTrailRecords.Document(Admin(
            "rep-2", "2026-01-15T12:00:00Z", "ReplicateKey", KeyArn, Key, ",\"replicaRegion\":\"us-west-2\",\"bypassPolicyLockoutSafetyCheck\":false",
            $$"""{"replicaKeyMetadata":{"keyId":"{{Key}}","multiRegion":true},"replicaPolicy":"{{replicaPolicy}}"}""")));

        var replica = Assert.Single(await HighPriorityAsync(), f => f.Kind == FindingKind.KeyReplicated);

        Assert.Contains("principal_outside_known_accounts", replica.Title, StringComparison.Ordinal);
        Assert.Contains("999988887777", (string)replica.Details!["policy_json"]!, StringComparison.Ordinal);
        Assert.Equal("us-west-2", (string?)replica.Details["replica_region"]);
    }

    private static string Failed(string record, string errorCode) =>
        record.Replace("\"requestParameters\"", $"\"errorCode\":\"{errorCode}\",\"errorMessage\":\"not allowed\",\"requestParameters\"", StringComparison.Ordinal)
            .Replace("\"responseElements\":{", "\"responseElements\":null,\"x\":{", StringComparison.Ordinal);

    [Fact]
    public async Task Denied_attempts_to_delete_or_repoint_a_key_are_findings_while_other_failures_are_not()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(
            Failed(Schedule("f-1", "2026-01-15T09:00:00Z", KeyArn, Key, 7), "AccessDenied"),
            Failed(Schedule("f-2", "2026-01-15T09:01:00Z", KeyArn, Key, 7), "AccessDeniedException"),
            Failed(Admin("f-3", "2026-01-15T09:02:00Z", "DisableKey", OtherKeyArn, OtherKeyArn, string.Empty, "null"), "KMSInvalidStateException"),
            Failed(Admin("f-4", "2026-01-15T09:03:00Z", "UpdateAlias", KeyArn, Key, ",\"aliasName\":\"alias/payments\"", "null"), "AccessDenied")));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var findings = await DeniedKeyChanges.FindAsync(q, Day, CancellationToken.None);

        Assert.Equal(
            [("ScheduleKeyDeletion", Severity.Medium, 2L), ("UpdateAlias", Severity.Low, 1L)],
            findings.Select(f => (f.EventName!, f.Severity, f.Count)));
        Assert.Equal("ScheduleKeyDeletion denied (AccessDenied,AccessDeniedException) 2 times: arn:aws:iam::111122223333:user/key-admin tried a key change it is not allowed to make", findings[0].Title);
        Assert.Equal((FindingKind.KeyChangeDenied, KeyArn), (findings[0].Kind, findings[0].KeyArn));
        Assert.Empty(await HighPriorityEvents.FindAsync(q, Day, new HashSet<string> { "111122223333" }, new HashSet<string>(), CancellationToken.None));
    }

    private const string ForeignKeyArn = "arn:aws:kms:us-east-1:999988887777:key/9999aaaa-99aa-99aa-99aa-9999aaaa9999";

    // A call by the uploader role, made by S3 on its behalf (SSE-KMS: userIdentity names the role, invokedBy the service).
    private static string Uploader(string eventId, string time, string eventName, string keyArn) =>
        $$$"""
        {"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEUPLOAD:upload","arn":"arn:aws:sts::111122223333:assumed-role/upload-api/upload","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEUPLOAD","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEUPLOAD","arn":"arn:aws:iam::111122223333:role/upload-api","accountId":"111122223333","userName":"upload-api"},"attributes":{"creationDate":"2026-01-10T09:00:00Z","mfaAuthenticated":"false"}},"invokedBy":"s3.amazonaws.com"},"eventTime":"{{{time}}}","eventSource":"kms.amazonaws.com","eventName":"{{{eventName}}}","awsRegion":"us-east-1","sourceIPAddress":"s3.amazonaws.com","userAgent":"s3.amazonaws.com","requestParameters":{"keyId":"{{{keyArn}}}","keySpec":"AES_256","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::uploads/obj"}},"responseElements":null,"requestID":"req-{{{eventId}}}","eventID":"{{{eventId}}}","readOnly":true,"resources":[{"accountId":"{{{keyArn.Split(':')[4]}}}","type":"AWS::KMS::Key","ARN":"{{{keyArn}}}"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
        """;

    private async Task<IReadOnlyList<Finding>> ExternalEncryptsAsync()
    {
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);
        return await PrincipalFindings.ExternalEncryptsAsync(q, Day, new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);
    }

    [Fact]
    public async Task New_data_encrypted_through_a_service_under_a_key_of_an_outside_account_is_high()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(
            Uploader("own-1", "2026-01-14T10:00:00Z", "GenerateDataKey", KeyArn),
            Uploader("x-1", "2026-01-15T10:00:00Z", "GenerateDataKey", ForeignKeyArn),
            Uploader("x-2", "2026-01-15T10:01:00Z", "GenerateDataKey", ForeignKeyArn),
            Uploader("own-2", "2026-01-15T10:02:00Z", "GenerateDataKey", KeyArn)));

        var finding = Assert.Single(await ExternalEncryptsAsync());

        Assert.Equal((FindingKind.EncryptedWithExternalKey, Severity.High, 2L), (finding.Kind, finding.Severity, finding.Count));
        Assert.Equal(("arn:aws:iam::111122223333:role/upload-api", ForeignKeyArn, "999988887777"), (finding.Principal, finding.KeyArn, finding.KeyAccountId));
        Assert.Equal("Data encrypted under a key of account 999988887777 (outside the known accounts) through s3.amazonaws.com, a key not used by this principal before", finding.Title);
        Assert.Equal(["x-1", "x-2"], finding.EventIds);
    }

    [Fact]
    public async Task Decrypting_with_an_outside_key_or_encrypting_with_one_used_before_is_not_an_external_encryption()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(
            Uploader("d-1", "2026-01-15T10:00:00Z", "Decrypt", ForeignKeyArn), // reading a partner's data
            Uploader("p-0", "2026-01-10T10:00:00Z", "Encrypt", "arn:aws:kms:us-east-1:777766665555:key/partner"),
            Uploader("p-1", "2026-01-15T10:00:00Z", "Encrypt", "arn:aws:kms:us-east-1:777766665555:key/partner")));

        Assert.Empty(await ExternalEncryptsAsync());
    }

    // KMS's own events (as the KMS developer guide shows them): no type, only the account and invokedBy AWS Internal.
    private static string KmsServiceEvent(string eventId, string time, string eventName, string keyArn) =>
        $$$"""
        {"eventVersion":"1.11","userIdentity":{"accountId":"111122223333","invokedBy":"AWS Internal"},"eventTime":"{{{time}}}","eventSource":"kms.amazonaws.com","eventName":"{{{eventName}}}","awsRegion":"us-east-1","sourceIPAddress":"AWS Internal","userAgent":"AWS Internal","requestParameters":null,"responseElements":null,"eventID":"{{{eventId}}}","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{{keyArn}}}"}],"eventType":"AwsServiceEvent","managementEvent":true,"recipientAccountId":"111122223333","serviceEventDetails":{"keyId":"{{{keyArn.Split('/')[^1]}}}"},"eventCategory":"Management"}
        """;

    [Fact]
    public async Task Kms_deleting_a_key_or_expired_key_material_is_reported_and_linked_to_the_schedule_it_carries_out()
    {
        const string thirdKeyArn = "arn:aws:kms:us-east-1:111122223333:key/5555eeee-55ee-55ee-55ee-5555eeee5555";
        Trail.AddLogFile(CloudTrailRecords.Document(
            Schedule("s-1", "2026-01-08T09:00:00Z", KeyArn, Key, 7),
            KmsServiceEvent("d-1", "2026-01-15T09:05:00Z", "DeleteKey", KeyArn),
            KmsServiceEvent("d-2", "2026-01-15T10:00:00Z", "DeleteKey", OtherKeyArn),
            KmsServiceEvent("m-1", "2026-01-15T11:00:00Z", "DeleteExpiredKeyMaterial", thirdKeyArn)));

        var findings = await HighPriorityAsync();

        var scheduled = Assert.Single(findings, f => f.KeyArn == KeyArn);
        Assert.Equal((FindingKind.KeyDeleted, Severity.Medium), (scheduled.Kind, scheduled.Severity));
        Assert.Equal("Key deleted at the end of its waiting period, scheduled 7 days earlier by arn:aws:iam::111122223333:user/key-admin", scheduled.Title);
        Assert.Equal(["d-1", "s-1"], scheduled.EventIds);
        Assert.Equal("service:AWS Internal", scheduled.Principal);
        var unseen = Assert.Single(findings, f => f.KeyArn == OtherKeyArn);
        Assert.Equal((FindingKind.KeyDeleted, Severity.High), (unseen.Kind, unseen.Severity));
        Assert.Contains("not in the dataset", unseen.Title, StringComparison.Ordinal);
        var expired = Assert.Single(findings, f => f.KeyArn == thirdKeyArn);
        Assert.Equal((FindingKind.KeyMaterialDeleted, Severity.High), (expired.Kind, expired.Severity));
        Assert.Equal(3, findings.Count);
    }

    [Fact]
    public async Task Rotation_enabled_again_and_an_external_grant_revoked_within_the_hour_are_low_and_name_what_undid_them()
    {
        const string thirdKeyArn = "arn:aws:kms:us-east-1:111122223333:key/5555eeee-55ee-55ee-55ee-5555eeee5555";
        static string Grant(string id, string time, string keyArn, string grantId) =>
            Admin(id, time, "CreateGrant", keyArn, keyArn, ",\"granteePrincipal\":\"arn:aws:iam::999988887777:role/vendor\",\"operations\":[\"Decrypt\"]", $$"""{"grantId":"{{grantId}}"}""");
        Trail.AddLogFile(CloudTrailRecords.Document(
            Admin("r-1", "2026-01-15T09:00:00Z", "DisableKeyRotation", KeyArn, Key, string.Empty, "null"),
            Admin("r-2", "2026-01-15T09:04:00Z", "EnableKeyRotation", KeyArn, Key, string.Empty, "null"),
            Grant("g-1", "2026-01-15T10:00:00Z", OtherKeyArn, "grant-aaa"),
            Admin("g-1x", "2026-01-15T10:12:00Z", "RevokeGrant", OtherKeyArn, OtherKeyArn, ",\"grantId\":\"grant-aaa\"", "null"),
            Grant("g-2", "2026-01-15T11:00:00Z", thirdKeyArn, "grant-bbb"),
            Admin("g-2x", "2026-01-15T15:00:00Z", "RetireGrant", thirdKeyArn, thirdKeyArn, ",\"grantId\":\"grant-bbb\"", "null")));

        var findings = await HighPriorityAsync();

        var rotation = Assert.Single(findings, f => f.Kind == FindingKind.KeyRotationDisabled);
        Assert.Equal((Severity.Low, "Automatic key rotation disabled, enabled again 4 min later"), (rotation.Severity, rotation.Title));
        var revoked = Assert.Single(findings, f => f.KeyArn == OtherKeyArn);
        Assert.Equal((Severity.Low, "Grant to an external account (999988887777), revoked 12 min later"), (revoked.Severity, revoked.Title));
        Assert.Equal(["g-1", "g-1x"], revoked.EventIds);
        var retiredLate = Assert.Single(findings, f => f.KeyArn == thirdKeyArn);
        Assert.Equal((Severity.High, "Grant to an external account (999988887777), retired 4 h later"), (retiredLate.Severity, retiredLate.Title));
    }

    [Fact]
    public async Task An_account_whose_trail_delivers_files_without_kms_events_is_known_to_the_report()
    {
        // The organization's management account: its trail delivers log files (EC2 calls here) but no KMS event. A grant
        // to one of its roles is to another account of ours, not to an outsider; one to an account with no trail is.
        static string Grant(string id, string grantee) =>
            Admin(id, "2026-01-15T10:00:00Z", "CreateGrant", KeyArn, KeyArn, $",\"granteePrincipal\":\"{grantee}\",\"operations\":[\"Decrypt\"]", "{\"grantId\":\"grant-" + id + "\"}");
        Trail.AddLogFile(CloudTrailRecords.Document(Grant("g-org", "arn:aws:iam::444455556666:role/org-backup-audit"), Grant("g-out", "arn:aws:iam::999988887777:role/vendor")));
        Trail.AddLogFile(CloudTrailRecords.Document(CloudTrailRecords.Ec2Record()), account: "444455556666");
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var report = await new DailyReportBuilder(new AnalysisOptions(), TimeProvider.System).BuildAsync(q, Day, CancellationToken.None);

        var grants = report.Findings.Where(f => f.Kind == FindingKind.GrantCreatedCrossAccount).ToDictionary(f => f.EventIds[0]);
        Assert.Equal((Severity.Medium, "Grant to another account (444455556666)"), (grants["g-org"].Severity, grants["g-org"].Title));
        Assert.Equal((Severity.High, "Grant to an external account (999988887777)"), (grants["g-out"].Severity, grants["g-out"].Title));
    }

    [Fact]
    public async Task A_policy_opening_a_key_to_another_organization_is_high_by_the_organization_in_the_trails_keys()
    {
        // The trail's log files live under AWSLogs/o-abcdef1234/: that organization is ours, and a policy letting in
        // "*" of that organization is routine, while one letting in "*" of another organization opens the key to it.
        static string Policy(string id, string keyArn, string organization) =>
            Admin(id, "2026-01-15T10:00:00Z", "PutKeyPolicy", keyArn, keyArn,
                ",\"policyName\":\"default\",\"policy\":\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":{\\\"AWS\\\":\\\"*\\\"},\\\"Action\\\":\\\"kms:Decrypt\\\",\\\"Resource\\\":\\\"*\\\",\\\"Condition\\\":{\\\"StringEquals\\\":{\\\"aws:PrincipalOrgID\\\":\\\"" + organization + "\\\"}}}]}\"",
                "null");
        Trail.AddLogFile(CloudTrailRecords.Document(Policy("p-own", KeyArn, "o-abcdef1234"), Policy("p-other", OtherKeyArn, "o-zz9yy8xx7w")));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var report = await new DailyReportBuilder(new AnalysisOptions(), TimeProvider.System).BuildAsync(q, Day, CancellationToken.None);

        Assert.Equal(["o-abcdef1234"], report.KnownOrganizations);
        var policies = report.Findings.Where(f => f.Kind == FindingKind.KeyPolicyChanged).ToDictionary(f => f.EventIds[0]);
        Assert.Equal((Severity.Medium, "Key policy changed (PutKeyPolicy)"), (policies["p-own"].Severity, policies["p-own"].Title));
        Assert.Equal(Severity.High, policies["p-other"].Severity);
        Assert.Contains(PolicyLinter.ExternalOrganization, policies["p-other"].Title, StringComparison.Ordinal);
        Assert.Contains("o-zz9yy8xx7w", policies["p-other"].Details!["lint"]!.ToJsonString(), StringComparison.Ordinal);

        // An organization configured as ours is known too.
        var configured = await new DailyReportBuilder(new AnalysisOptions { KnownOrganizations = ["o-ZZ9YY8XX7W"] }, TimeProvider.System).BuildAsync(q, Day, CancellationToken.None);
        Assert.Equal(["o-abcdef1234", "o-zz9yy8xx7w"], configured.KnownOrganizations);
        Assert.All(configured.Findings.Where(f => f.Kind == FindingKind.KeyPolicyChanged), f => Assert.Equal(Severity.Medium, f.Severity));
    }

    [Fact]
    public async Task A_key_change_says_whether_its_principal_used_kms_before()
    {
        // Ten days in which the key administrator describes the key daily; on the report day it disables one key and a
        // user never seen in KMS disables another.
        for (var d = 5; d <= 14; d++)
        {
            Trail.AddLogFile(CloudTrailRecords.Document(Admin($"describe-{d}", $"2026-01-{d:00}T09:00:00Z", "DescribeKey", KeyArn, Key, string.Empty, "null")));
        }

        var stranger = Admin("d-2", "2026-01-15T11:00:00Z", "DisableKey", OtherKeyArn, OtherKeyArn, string.Empty, "null")
            .Replace("user/key-admin", "user/temp-contractor", StringComparison.Ordinal);
        Trail.AddLogFile(CloudTrailRecords.Document(Admin("d-1", "2026-01-15T10:00:00Z", "DisableKey", KeyArn, Key, string.Empty, "null"), stranger));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var report = await new DailyReportBuilder(new AnalysisOptions(), TimeProvider.System).BuildAsync(q, Day, CancellationToken.None);

        var disabled = report.Findings.Where(f => f.Kind == FindingKind.KeyDisabled).ToDictionary(f => f.Principal!);
        Assert.False((bool)disabled["arn:aws:iam::111122223333:user/key-admin"].Details["principal_new_to_kms"]!);
        Assert.True((bool)disabled["arn:aws:iam::111122223333:user/temp-contractor"].Details["principal_new_to_kms"]!);
    }

    // An alias call's resources: the alias and the key it names.
    private static string Resources(string alias, string key) => $$"""
        "resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:{{alias}}"},{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{key}}"}],
        """.Trim();

    private static string At(string record, string time) => record.Replace("2026-01-15T12:00:00Z", time, StringComparison.Ordinal);

    [Fact]
    public async Task An_alias_change_names_the_key_the_alias_pointed_to_before()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(
            At(AdminCall("a-1", "CreateAlias", $$"""{"aliasName":"alias/payments","targetKeyId":"{{OtherKeyArn}}"}""", Resources("alias/payments", OtherKeyArn)), "2026-01-02T08:00:00Z"),
            At(AdminCall("a-2", "CreateAlias", """{"aliasName":"alias/other","targetKeyId":"x"}""", Resources("alias/other", KeyArn)), "2026-01-14T08:00:00Z"),
            AdminCall("a-3", "UpdateAlias", $$"""{"aliasName":"alias/payments","targetKeyId":"{{Key}}"}""", Resources("alias/payments", KeyArn)),
            At(AdminCall("a-4", "DeleteAlias", """{"aliasName":"alias/other"}""", Resources("alias/other", KeyArn)), "2026-01-15T12:30:00Z")));

        var findings = await HighPriorityAsync();

        var update = Assert.Single(findings, f => f.EventName == "UpdateAlias");
        Assert.Equal($"Alias alias/payments pointed to another key (before: {OtherKeyArn})", update.Title);
        Assert.Equal((OtherKeyArn, "a-1"), ((string?)update.Details!["previous_key"], (string?)update.Details["previous_target_event_id"]));
        var deletion = Assert.Single(findings, f => f.EventName == "DeleteAlias");
        Assert.Equal($"Alias alias/other deleted (it pointed to {KeyArn})", deletion.Title);
    }

    [Fact]
    public async Task An_alias_deleted_and_created_again_for_another_key_within_the_hour_is_a_move_of_the_alias()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(
            At(AdminCall("c-1", "CreateAlias", $$"""{"aliasName":"alias/payments","targetKeyId":"{{OtherKeyArn}}"}""", Resources("alias/payments", OtherKeyArn)), "2026-01-02T08:00:00Z"),
            At(AdminCall("d-1", "DeleteAlias", """{"aliasName":"alias/payments"}""", Resources("alias/payments", OtherKeyArn)), "2026-01-15T23:59:58Z"),
            At(AdminCall("c-2", "CreateAlias", $$"""{"aliasName":"alias/payments","targetKeyId":"{{Key}}"}""", Resources("alias/payments", KeyArn)), "2026-01-16T00:00:00Z"),
            At(AdminCall("c-3", "CreateAlias", $$"""{"aliasName":"alias/audit","targetKeyId":"{{Key}}"}""", Resources("alias/audit", KeyArn)), "2026-01-02T08:00:00Z"),
            At(AdminCall("d-2", "DeleteAlias", """{"aliasName":"alias/audit"}""", Resources("alias/audit", KeyArn)), "2026-01-15T09:00:00Z"),
            At(AdminCall("c-4", "CreateAlias", $$"""{"aliasName":"alias/audit","targetKeyId":"{{Key}}"}""", Resources("alias/audit", KeyArn)), "2026-01-15T09:10:00Z"),
            At(AdminCall("d-3", "DeleteAlias", """{"aliasName":"alias/old"}""", Resources("alias/old", KeyArn)), "2026-01-15T10:00:00Z"),
            At(AdminCall("c-5", "CreateAlias", $$"""{"aliasName":"alias/old","targetKeyId":"{{OtherKeyArn}}"}""", Resources("alias/old", OtherKeyArn)), "2026-01-15T11:30:00Z")));

        var findings = (await HighPriorityAsync()).Where(f => f.Kind == FindingKind.AliasChanged).ToDictionary(f => f.EventIds[0]);

        // Across midnight, 2 s apart: the alias now encrypts under another key.
        Assert.Equal(Severity.Medium, findings["d-1"].Severity);
        Assert.Equal($"Alias alias/payments pointed to another key: deleted and created again 2 s later for {KeyArn} (before: {OtherKeyArn})", findings["d-1"].Title);
        Assert.Equal(("c-2", KeyArn), ((string?)findings["d-1"].Details!["recreated_event_id"], (string?)findings["d-1"].Details!["recreated_for_key"]));
        // Back on the same key: nothing moved.
        Assert.Equal((Severity.Low, $"Alias alias/audit deleted and created again 10 min later for the same key ({KeyArn})"), (findings["d-2"].Severity, findings["d-2"].Title));
        // Created again after more than an hour: two separate changes; the deletion alone is low.
        Assert.Equal((Severity.Low, "Alias alias/old deleted"), (findings["d-3"].Severity, findings["d-3"].Title));
        Assert.Equal(3, findings.Count); // a CreateAlias alone is routine
    }

    [Theory]
    [InlineData("arn:aws:kms:eu-west-1:111122223333:key/mrk-1234", null, "us-east-1", "eu-west-1/mrk-1234")]
    [InlineData(null, "mrk-1234", "us-west-2", "us-west-2/mrk-1234")]
    [InlineData(null, "arn:aws:kms:eu-west-1:111122223333:key/" + Key, "us-east-1", "eu-west-1/" + Key)]
    [InlineData(null, "alias/app", "us-east-1", "us-east-1/alias/app")]
    [InlineData(null, null, "us-east-1", null)]
    public void A_key_named_by_arn_id_or_multi_region_id_has_one_identity_per_region(string? arn, string? keyRef, string region, string? expected)
    {
        Assert.Equal(expected, HighPriorityEvents.KeyIdentity(arn, keyRef, region));
    }

    // A Decrypt by a role of account 222233334444 with a key of 111122223333: the caller's trail names the role, the key
    // owner's trail only the account (type AWSAccount); both copies carry one sharedEventID.
    private static string CrossAccountCopy(string eventId, string recipient, bool callerCopy, string shared) =>
        $$$"""
        {"eventVersion":"1.08","userIdentity":{{{(callerCopy
            ? """{"type":"AssumedRole","principalId":"AROAEXAMPLEREPORT:batch","arn":"arn:aws:sts::222233334444:assumed-role/reporting-role/batch","accountId":"222233334444","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEREPORT","arn":"arn:aws:iam::222233334444:role/reporting-role","accountId":"222233334444","userName":"reporting-role"},"attributes":{"creationDate":"2026-01-15T09:00:00Z","mfaAuthenticated":"false"}}}"""
            : """{"type":"AWSAccount","principalId":"AROAEXAMPLEREPORT:batch","accountId":"222233334444"}""")}}},"eventTime":"2026-01-15T10:05:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","sourceIPAddress":"10.1.2.3","userAgent":"aws-sdk-go-v2/1.30.0","requestParameters":{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"},"responseElements":null,"requestID":"req-{{{shared}}}","eventID":"{{{eventId}}}","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{{KeyArn}}}"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{{{recipient}}}","sharedEventID":"{{{shared}}}","eventCategory":"Management"}
        """;

    [Fact]
    public async Task Both_copies_of_a_cross_account_call_are_one_action_by_the_caller_in_kms_actions_and_in_the_flows()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(CrossAccountCopy("caller-1", "222233334444", true, "shared-1"), CrossAccountCopy("caller-2", "222233334444", true, "shared-2")), account: "222233334444");
        Trail.AddLogFile(CloudTrailRecords.Document(CrossAccountCopy("owner-1", "111122223333", false, "shared-1"), CrossAccountCopy("owner-2", "111122223333", false, "shared-2")));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        Assert.Equal(4L, await q.QueryScalarAsync("SELECT count(*) FROM kms_events", CancellationToken.None));
        var actions = await q.QueryRowsAsync("SELECT event_id, principal_arn FROM kms_actions ORDER BY event_id", CancellationToken.None);
        Assert.Equal(
            [("caller-1", "arn:aws:iam::222233334444:role/reporting-role"), ("caller-2", "arn:aws:iam::222233334444:role/reporting-role")],
            actions.Select(r => ((string)r[0]!, (string)r[1]!)));

        var (_, flows) = await PrincipalFindings.CrossAccountAsync(q, Day, new AnalysisOptions(), new HashSet<string> { "111122223333", "222233334444" }, CancellationToken.None);
        var flow = Assert.Single(flows);
        Assert.Equal(("222233334444", "111122223333", 2L), (flow.CallerAccountId, flow.KeyAccountId, flow.Calls));
    }

    [Fact]
    public async Task A_callers_copy_that_does_not_name_the_key_takes_it_from_the_owners_copy_in_kms_actions_and_the_flows()
    {
        // A Decrypt names no key in its request (KMS finds it in the ciphertext); a copy without resources[] then has no
        // key at all, while the key owner's copy of the same call has it. The action kept (the caller's) had no key, so
        // it counted for no key and as not cross-account.
        static string NoKey(string record) =>
            record.Replace($$"""
                "resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{KeyArn}}"}],
                """, string.Empty, StringComparison.Ordinal);
        Trail.AddLogFile(CloudTrailRecords.Document(NoKey(CrossAccountCopy("caller-1", "222233334444", true, "shared-1")), CrossAccountCopy("caller-2", "222233334444", true, "shared-2")), account: "222233334444");
        Trail.AddLogFile(CloudTrailRecords.Document(CrossAccountCopy("owner-1", "111122223333", false, "shared-1"), CrossAccountCopy("owner-2", "111122223333", false, "shared-2")));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        Assert.Null(await q.QueryScalarAsync("SELECT key_arn FROM kms_events WHERE event_id = 'caller-1'", CancellationToken.None));
        var actions = await q.QueryRowsAsync("SELECT event_id, key_arn, key_id, key_account_id, key_region, is_cross_account FROM kms_actions ORDER BY event_id", CancellationToken.None);
        Assert.Equal(["caller-1", "caller-2"], actions.Select(r => (string)r[0]!));
        Assert.All(actions, r => Assert.Equal((KeyArn, Key, "111122223333", "us-east-1", true), ((string)r[1]!, (string)r[2]!, (string)r[3]!, (string)r[4]!, (bool)r[5]!)));

        var (_, flows) = await PrincipalFindings.CrossAccountAsync(q, Day, new AnalysisOptions(), new HashSet<string> { "111122223333", "222233334444" }, CancellationToken.None);
        var flow = Assert.Single(flows);
        Assert.Equal(("222233334444", "111122223333", 2L), (flow.CallerAccountId, flow.KeyAccountId, flow.Calls));
    }

    [Theory]
    [InlineData("arn:aws:iam::999988887777:root", "account", "999988887777", "a caller in account 999988887777 (CloudTrail names only the account)")]
    [InlineData("arn:aws:iam::999988887777:root", "root", "999988887777", "arn:aws:iam::999988887777:root")]
    [InlineData("arn:aws:iam::222233334444:role/app", "role", "222233334444", "arn:aws:iam::222233334444:role/app")]
    public void A_caller_cloudtrail_does_not_name_is_not_called_the_accounts_root_user(string principal, string kind, string account, string expected)
    {
        Assert.Equal(expected, PrincipalFindings.Describe(principal, kind, account));
    }

    [Fact]
    public async Task An_outside_account_that_used_the_key_on_earlier_days_is_medium_then_low_once_established_and_says_how_often()
    {
        // A partner reading shared data most days: its first day was the news; on the report day it is routine.
        static string On(string day, string id) => CrossAccountCopy(id, "111122223333", false, "shared-" + id).Replace("2026-01-15T", day + "T", StringComparison.Ordinal);
        Trail.AddLogFile(CloudTrailRecords.Document(On("2026-01-01", "e-1"), On("2026-01-10", "e-2"), On("2026-01-12", "e-3"), On("2026-01-12", "e-4"), On("2026-01-15", "e-5")));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var (today, _) = await PrincipalFindings.CrossAccountAsync(q, Day, new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);
        var (firstDay, _) = await PrincipalFindings.CrossAccountAsync(q, new DateOnly(2026, 1, 1), new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);

        var routine = Assert.Single(today);
        Assert.Equal(Severity.Medium, routine.Severity);
        Assert.EndsWith("; it did so on 3 of the previous 14 days too", routine.Title, StringComparison.Ordinal);
        Assert.Equal(3L, (long)routine.Details!["days_seen_before"]!);
        Assert.Equal(Severity.High, Assert.Single(firstDay).Severity);

        // Established: on MinBaselineDays earlier days (3 here) it is still listed, at low.
        var (established, _) = await PrincipalFindings.CrossAccountAsync(q, Day, new AnalysisOptions { MinBaselineDays = 3 }, new HashSet<string> { "111122223333" }, CancellationToken.None);
        Assert.Equal(Severity.Low, Assert.Single(established).Severity);
    }

    [Fact]
    public async Task A_caller_from_outside_that_only_generates_data_keys_with_a_key_is_reported_too()
    {
        // Only the key owner's copies (the caller's account has no trail here, so it is outside the known accounts).
        Trail.AddLogFile(CloudTrailRecords.Document(
            CrossAccountCopy("owner-1", "111122223333", false, "shared-1").Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"GenerateDataKey\"", StringComparison.Ordinal),
            CrossAccountCopy("owner-2", "111122223333", false, "shared-2").Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"GenerateDataKey\"", StringComparison.Ordinal)));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var (findings, _) = await PrincipalFindings.CrossAccountAsync(q, Day, new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);

        var finding = Assert.Single(findings);
        Assert.Equal((FindingKind.CrossAccountDecrypt, 2L, "GenerateDataKey"), (finding.Kind, finding.Count, finding.EventName));
        Assert.Equal("Account 222233334444 (outside the known accounts) used a key of account 111122223333 (GenerateDataKey)", finding.Title);
        Assert.Equal(0L, (long)finding.Details!["decrypt_calls"]!);
    }

    [Fact]
    public async Task An_outside_account_whose_calls_were_all_denied_tried_to_use_the_key_and_one_partly_denied_used_it()
    {
        static string Denied(string id, string shared) => CrossAccountCopy(id, "111122223333", false, shared)
            .Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"Decrypt\",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"denied\"", StringComparison.Ordinal);
        Trail.AddLogFile(CloudTrailRecords.Document(Denied("d-1", "shared-1"), Denied("d-2", "shared-2")));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var (denied, _) = await PrincipalFindings.CrossAccountAsync(q, Day, new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);

        var attempt = Assert.Single(denied);
        Assert.Equal("Account 222233334444 (outside the known accounts) tried to use a key of account 111122223333 (Decrypt): all 2 calls were denied", attempt.Title);
        Assert.Equal((Severity.Medium, 2L, 2L), (attempt.Severity, attempt.Count, (long)attempt.Details!["failed_calls"]!));

        Trail.AddLogFile(CloudTrailRecords.Document(CrossAccountCopy("ok-1", "111122223333", false, "shared-3")));
        await IngestAsync();
        using var q2 = DatasetQuery.Open(Data.Root);
        var (partly, _) = await PrincipalFindings.CrossAccountAsync(q2, Day, new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);

        var use = Assert.Single(partly);
        Assert.Equal("Account 222233334444 (outside the known accounts) decrypted with a key of account 111122223333 (2 of 3 calls denied)", use.Title);
        Assert.Equal(Severity.High, use.Severity);
    }

    [Fact]
    public async Task An_outside_account_decrypting_through_s3_is_a_cross_account_use_while_cloudtrails_own_account_is_not()
    {
        // An outside role reading objects encrypted with the key (only the key owner's copy: the account as caller, S3 as
        // invokedBy), and CloudTrail's own account writing a trail's log files under it, as AWS's KMS guide shows it.
        var viaS3 = CrossAccountCopy("s3-1", "111122223333", false, "shared-1")
            .Replace("\"accountId\":\"222233334444\"}", "\"accountId\":\"222233334444\",\"invokedBy\":\"s3.amazonaws.com\"}", StringComparison.Ordinal);
        var cloudTrail = CrossAccountCopy("ct-1", "111122223333", false, "shared-2")
            .Replace(
                "{\"type\":\"AWSAccount\",\"principalId\":\"AROAEXAMPLEREPORT:batch\",\"accountId\":\"222233334444\"}",
                "{\"type\":\"IAMUser\",\"principalId\":\"AIDACKCEVSQ6C2EXAMPLE\",\"arn\":\"arn:aws:iam::086441151436:user/AWSCloudTrail\",\"accountId\":\"086441151436\",\"userName\":\"AWSCloudTrail\",\"invokedBy\":\"internal.amazonaws.com\"}",
                StringComparison.Ordinal)
            .Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"GenerateDataKey\"", StringComparison.Ordinal);
        var service = CrossAccountCopy("svc-1", "111122223333", false, "shared-3")
            .Replace("{\"type\":\"AWSAccount\",\"principalId\":\"AROAEXAMPLEREPORT:batch\",\"accountId\":\"222233334444\"}", "{\"type\":\"AWSService\",\"invokedBy\":\"cloudtrail.amazonaws.com\"}", StringComparison.Ordinal);
        Assert.Contains("invokedBy\":\"s3.amazonaws.com", viaS3, StringComparison.Ordinal);
        Assert.Contains("086441151436", cloudTrail, StringComparison.Ordinal);
        Assert.Contains("AWSService", service, StringComparison.Ordinal);
        Trail.AddLogFile(CloudTrailRecords.Document(viaS3, cloudTrail, service));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var (findings, flows) = await PrincipalFindings.CrossAccountAsync(q, Day, new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);

        var finding = Assert.Single(findings);
        Assert.Equal((FindingKind.CrossAccountDecrypt, Severity.High, "222233334444", 1L), (finding.Kind, finding.Severity, finding.CallerAccountId, finding.Count));
        Assert.Equal("Account 222233334444 (outside the known accounts) decrypted with a key of account 111122223333 through s3.amazonaws.com", finding.Title);
        Assert.Equal("s3.amazonaws.com", (string?)finding.Details!["through_services"]);
        Assert.Equal([("222233334444", 1L)], flows.Select(f => (f.CallerAccountId, f.Calls)));
    }

    [Fact]
    public async Task A_role_first_reading_data_through_s3_or_ssm_is_a_new_principal_while_aws_own_work_is_not()
    {
        // Ten days of an application role's Decrypts (the history), then on the report day a role never seen before
        // reading objects encrypted with the key (S3 calls KMS for it), another reading SecureString parameters (SSM's
        // Decrypt for it is recorded with invokedBy "AWS Internal", as Stratus Red Team's published detonation of that
        // credential theft shows), and CloudTrail's own account (a user of AWS's account) using the key: AWS's own work.
        for (var d = 5; d <= 14; d++)
        {
            Trail.AddLogFile(CloudTrailRecords.Document(CloudTrailRecords.AssumedRoleDecrypt($"app-{d}", "worker", $"2026-01-{d:00}T08:00:00Z")));
        }

        static string Via(string record, string role, string invokedBy) => record
            .Replace("role/service-role/app-role", $"role/{role}", StringComparison.Ordinal)
            .Replace("assumed-role/app-role/", $"assumed-role/{role}/", StringComparison.Ordinal)
            .Replace("\"mfaAuthenticated\":\"false\"}}}", $"\"mfaAuthenticated\":\"false\"}}}},\"invokedBy\":\"{invokedBy}\"}}", StringComparison.Ordinal);
        var viaS3 = Via(CloudTrailRecords.AssumedRoleDecrypt("s3-1", "dl", "2026-01-15T13:00:00Z"), "new-s3-reader", "s3.amazonaws.com");
        var viaSsm = Via(CloudTrailRecords.AssumedRoleDecrypt("ssm-1", "x", "2026-01-15T14:00:00Z"), "param-reader", "AWS Internal");
        var cloudTrail = CloudTrailRecords.AssumedRoleDecrypt("ct-1", "x", "2026-01-15T15:00:00Z").Replace(
            "\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROAEXAMPLEID:x\",\"arn\":\"arn:aws:sts::111122223333:assumed-role/app-role/x\",\"accountId\":\"111122223333\",\"accessKeyId\":\"ASIAEXAMPLEKEY\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROAEXAMPLEID\",\"arn\":\"arn:aws:iam::111122223333:role/service-role/app-role\",\"accountId\":\"111122223333\",\"userName\":\"app-role\"},\"attributes\":{\"creationDate\":\"2026-01-15T09:00:00Z\",\"mfaAuthenticated\":\"false\"}}}",
            "\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDACKCEVSQ6C2EXAMPLE\",\"arn\":\"arn:aws:iam::086441151436:user/AWSCloudTrail\",\"accountId\":\"086441151436\",\"userName\":\"AWSCloudTrail\",\"invokedBy\":\"internal.amazonaws.com\"}",
            StringComparison.Ordinal);
        Assert.Contains("\"invokedBy\":\"s3.amazonaws.com\"}", viaS3, StringComparison.Ordinal);
        Assert.Contains("\"invokedBy\":\"AWS Internal\"}", viaSsm, StringComparison.Ordinal);
        Assert.Contains("user/AWSCloudTrail", cloudTrail, StringComparison.Ordinal);
        Trail.AddLogFile(CloudTrailRecords.Document(viaS3, viaSsm, cloudTrail, CloudTrailRecords.AssumedRoleDecrypt("app-15", "worker", "2026-01-15T08:00:00Z")));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var findings = await PrincipalFindings.NewPrincipalsAsync(q, Day, new AnalysisOptions { MinBaselineDays = 7 }, new HashSet<string> { "111122223333" }, CancellationToken.None);

        Assert.Equal(
            ["arn:aws:iam::111122223333:role/new-s3-reader", "arn:aws:iam::111122223333:role/param-reader"],
            findings.Select(f => f.Principal!).Order(StringComparer.Ordinal));
        Assert.All(findings, f => Assert.Equal((FindingKind.NewPrincipal, Severity.Medium, 1L), (f.Kind, f.Severity, f.Count)));
        var finding = Assert.Single(findings, f => f.Principal == "arn:aws:iam::111122223333:role/new-s3-reader");

        // Where it came from is in the finding (a new access key or address shows without opening the events).
        Assert.Equal("203.0.113.10", (string?)finding.Details!["source_ip_addresses"]![0]);
        Assert.Equal("ASIAEXAMPLEKEY", (string?)finding.Details!["access_key_ids"]![0]);
        Assert.Equal("aws-sdk-go/1.44", (string?)finding.Details!["user_agents"]![0]);
    }

    [Fact]
    public async Task Different_events_that_reuse_one_event_id_are_different_actions_while_the_copies_of_a_shared_call_are_one()
    {
        // Published samples reuse one eventID for different calls; CloudTrail's duplicate delivery repeats the same one.
        var first = Admin("reused", "2026-01-15T09:00:00Z", "DisableKey", KeyArn, Key, string.Empty, "null");
        var second = Admin("reused", "2026-01-15T11:00:00Z", "DisableKey", OtherKeyArn, OtherKeyArn, string.Empty, "null");
        var sameTime = Schedule("reused", "2026-01-15T09:00:00Z", KeyArn, Key, 7);
        Trail.AddLogFile(CloudTrailRecords.Document(first, second, first, sameTime));
        Trail.AddLogFile(CloudTrailRecords.Document(CrossAccountCopy("caller-1", "222233334444", true, "shared-1")), account: "222233334444");
        Trail.AddLogFile(CloudTrailRecords.Document(CrossAccountCopy("owner-1", "111122223333", false, "shared-1")));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var actions = await q.QueryRowsAsync("SELECT event_id, event_name, key_arn FROM kms_actions ORDER BY event_time, event_name", CancellationToken.None);

        Assert.Equal(
            [("reused", "DisableKey", KeyArn), ("reused", "ScheduleKeyDeletion", KeyArn), ("caller-1", "Decrypt", KeyArn), ("reused", "DisableKey", OtherKeyArn)],
            actions.Select(r => ((string)r[0]!, (string)r[1]!, (string)r[2]!)));
        var findings = await HighPriorityEvents.FindAsync(q, Day, new HashSet<string> { "111122223333" }, new HashSet<string>(), CancellationToken.None);
        Assert.Equal(2, findings.Count(f => f.Kind == FindingKind.KeyDisabled));
        Assert.Single(findings, f => f.Kind == FindingKind.KeyDeletionScheduled);
    }

    [Fact]
    public async Task A_hidden_caller_from_outside_the_organization_is_kept_when_it_is_the_only_copy()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(CrossAccountCopy("owner-1", "111122223333", false, "shared-1")));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        Assert.Equal("owner-1", await q.QueryScalarAsync("SELECT event_id FROM kms_actions", CancellationToken.None));
    }
    // A network activity event (a trail that logs them for KMS): the VPC endpoint owner's record of a call made through
    // the endpoint, beside the management event KMS writes for the same call. A call the endpoint's policy refused has
    // only this record, with errorCode VpceAccessDenied.
    private static string Network(string eventId, string time, string eventName, string keyArn, bool denied = false) =>
        $$$"""
        {"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEADMIN","arn":"arn:aws:iam::111122223333:user/key-admin","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEADMIN","userName":"key-admin"},"eventTime":"{{{time}}}","eventSource":"kms.amazonaws.com","eventName":"{{{eventName}}}","awsRegion":"us-east-1","sourceIPAddress":"10.0.1.15","userAgent":"aws-cli/2.15.0",{{{(denied ? "\"errorCode\":\"VpceAccessDenied\",\"errorMessage\":\"The request was denied due to a VPC endpoint policy\"," : string.Empty)}}}"requestParameters":{"keyId":"{{{keyArn}}}"},"requestID":"req-{{{eventId}}}","eventID":"{{{eventId}}}","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{{keyArn}}}"}],"eventType":"AwsVpceEvent","recipientAccountId":"111122223333","sharedEventID":"shared-{{{eventId}}}","vpcEndpointId":"vpce-0123456789abcdef0","vpcEndpointAccountId":"111122223333","eventCategory":"NetworkActivity"}
        """;

    [Fact]
    public async Task A_network_activity_event_is_stored_but_not_a_second_action_while_a_call_the_endpoint_denied_is_one()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(
            Schedule("s-1", "2026-01-15T10:00:00Z", KeyArn, Key, 7),
            Network("n-1", "2026-01-15T10:00:00Z", "ScheduleKeyDeletion", KeyArn),
            Admin("d-1", "2026-01-15T10:05:00Z", "DisableKey", OtherKeyArn, OtherKeyArn, string.Empty, "null"),
            Network("n-2", "2026-01-15T10:05:00Z", "DisableKey", OtherKeyArn),
            Network("n-3", "2026-01-15T10:09:00Z", "Decrypt", KeyArn, denied: true)));

        var findings = await HighPriorityAsync();

        Assert.Equal(["s-1"], Assert.Single(findings, f => f.Kind == FindingKind.KeyDeletionScheduled).EventIds);
        Assert.Equal(["d-1"], Assert.Single(findings, f => f.Kind == FindingKind.KeyDisabled).EventIds);
        using var q = DatasetQuery.Open(Data.Root);
        Assert.Equal(5L, await q.QueryScalarAsync("SELECT count(*) FROM kms_events", CancellationToken.None));
        Assert.Equal(3L, await q.QueryScalarAsync("SELECT count(*) FROM kms_events WHERE event_category = 'NetworkActivity' AND event_type = 'AwsVpceEvent'", CancellationToken.None));
        var actions = await q.QueryRowsAsync("SELECT event_id, error_code FROM kms_actions ORDER BY event_time", CancellationToken.None);
        Assert.Equal([("s-1", null), ("d-1", null), ("n-3", "VpceAccessDenied")], actions.Select(r => ((string)r[0]!, (string?)r[1])));
    }

    [Fact]
    public async Task Calls_refused_by_a_vpc_endpoint_policy_count_toward_an_access_denied_burst()
    {
        Trail.AddLogFile(CloudTrailRecords.Document(Enumerable.Range(0, 25)
            .Select(i => Network($"deny-{i:D2}", $"2026-01-15T10:{i:D2}:00Z", "Decrypt", KeyArn, denied: true)).ToArray()));
        Trail.AddLogFile(CloudTrailRecords.Document(CloudTrailRecords.AssumedRoleDecrypt("day-before", "worker", "2026-01-14T10:00:00Z"))); // a day to compare with
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var findings = await PrincipalFindings.AccessDeniedBurstsAsync(q, Day, new AnalysisOptions(), CancellationToken.None);

        var burst = Assert.Single(findings);
        Assert.Equal((FindingKind.AccessDeniedBurst, 25L, "arn:aws:iam::111122223333:user/key-admin"), (burst.Kind, burst.Count, burst.Principal));
        Assert.Equal("VpceAccessDenied", (string?)burst.Details!["error_codes"]);
    }

    // An enumeration from 23:45 to 00:15 is 18 refused calls on each day, below the 20 a day needs; the hour across
    // midnight holds all 36. It is reported once, with the day it began on.
    [Fact]
    public async Task Refused_calls_packed_into_the_hour_across_midnight_are_a_burst_of_the_day_it_began()
    {
        for (var d = 1; d <= 13; d++)
        {
            Trail.AddLogFile(CloudTrailRecords.Document(Network($"base-{d:D2}", $"2026-01-{d:D2}T10:00:00Z", "Decrypt", KeyArn, denied: true)));
        }

        var before = Enumerable.Range(0, 18).Select(i => Network($"late-{i:D2}", $"2026-01-14T23:{42 + i:D2}:00Z", "Decrypt", KeyArn, denied: true));
        var after = Enumerable.Range(0, 18).Select(i => Network($"early-{i:D2}", $"2026-01-15T00:{i:D2}:00Z", "Decrypt", KeyArn, denied: true));
        Trail.AddLogFile(CloudTrailRecords.Document(before.Concat(after).ToArray()));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var began = await PrincipalFindings.AccessDeniedBurstsAsync(q, Day.AddDays(-1), new AnalysisOptions(), CancellationToken.None);
        var ended = await PrincipalFindings.AccessDeniedBurstsAsync(q, Day, new AnalysisOptions(), CancellationToken.None);

        var burst = Assert.Single(began);
        Assert.Equal((FindingKind.AccessDeniedBurst, 36L, "arn:aws:iam::111122223333:user/key-admin"), (burst.Kind, burst.Count, burst.Principal));
        Assert.StartsWith("arn:aws:iam::111122223333:user/key-admin: 36 access-denied KMS calls from 2026-01-14 23:42 to 2026-01-15 00:17 UTC, across midnight", burst.Title, StringComparison.Ordinal);
        Assert.Equal((18L, 18L), ((long)burst.Details!["calls_before_midnight"]!, (long)burst.Details!["calls_after_midnight"]!));
        Assert.Empty(ended);
    }
}
