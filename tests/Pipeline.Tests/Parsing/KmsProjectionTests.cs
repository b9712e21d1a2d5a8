using System.Text.Unicode;
using Pipeline.Parsing;
using Pipeline.Sink;
using Pipeline.Tests.Support;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Parsing;

public sealed class KmsProjectionTests
{
    private static async Task<Dictionary<string, object?>> OneRowAsync(string record)
    {
        var (_, rows) = await ReaderHarness.ReadGzipAsync(Document(record));
        return Assert.Single(rows);
    }

    [Fact]
    public async Task Assumed_role_decrypt_is_projected_column_by_column()
    {
        var row = await OneRowAsync(AssumedRoleDecrypt());

        Assert.Equal("11111111-2222-3333-4444-555555555555", row["event_id"]);
        Assert.Equal(new DateTime(2026, 1, 15, 10, 5, 12, DateTimeKind.Utc), row["event_time"]);
        Assert.Equal(new DateOnly(2026, 1, 15), row["event_date"]);
        Assert.Equal("Decrypt", row["event_name"]);
        Assert.Equal("AwsApiCall", row["event_type"]);
        Assert.Equal("1.08", row["event_version"]);
        Assert.Equal("Management", row["event_category"]);
        Assert.Equal("us-east-1", row["aws_region"]);
        Assert.Equal("203.0.113.10", row["source_ip_address"]);
        Assert.Equal("aws-sdk-go/1.44", row["user_agent"]);
        Assert.Null(row["error_code"]);
        Assert.Null(row["error_message"]);
        Assert.Equal(true, row["read_only"]);
        Assert.Equal(true, row["management_event"]);
        Assert.Equal("req-1", row["request_id"]);
        Assert.Equal("111122223333", row["recipient_account_id"]);
        Assert.Null(row["shared_event_id"]);
        Assert.Equal("11111111-2222-3333-4444-555555555555", row["dedupe_key"]);
        Assert.Equal("AssumedRole", row["identity_type"]);
        Assert.Equal("arn:aws:sts::111122223333:assumed-role/app-role/my-function", row["identity_arn"]);
        Assert.Equal("AROAEXAMPLEID:my-function", row["identity_principal_id"]);
        Assert.Equal("ASIAEXAMPLEKEY", row["access_key_id"]);
        Assert.Equal("111122223333", row["caller_account_id"]);
        Assert.Null(row["invoked_by"]);
        Assert.Equal("arn:aws:iam::111122223333:role/service-role/app-role", row["principal_arn"]);
        Assert.Equal("role", row["principal_kind"]);
        Assert.Equal("my-function", row["session_name"]);
        Assert.Equal("arn:aws:iam::111122223333:role/service-role/app-role", row["session_issuer_arn"]);
        Assert.Equal(KeyArn, row["key_arn"]);
        Assert.Equal("1234abcd-12ab-34cd-56ef-1234567890ab", row["key_id"]);
        Assert.Equal("111122223333", row["key_account_id"]);
        Assert.Equal("us-east-1", row["key_region"]);
        Assert.Null(row["key_ref"]);
        Assert.Equal(false, row["is_cross_account"]);
        Assert.Equal(false, row["is_aws_service_call"]);
        Assert.Equal("SYMMETRIC_DEFAULT", row["encryption_algorithm"]);
        Assert.Equal("""{"aws:lambda:FunctionArn":"arn:aws:lambda:us-east-1:111122223333:function:my-function"}""", row["encryption_context_json"]);
        Assert.Null(row["policy_json"]);
        Assert.Null(row["response_elements_json"]);
        Assert.Equal("""{"keyMaterialId":"aa11"}""", row["additional_event_data_json"]);
        Assert.Equal($$"""[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{KeyArn}}"}]""", row["resources_json"]);
        Assert.StartsWith("""{"encryptionContext":""", (string?)row["request_parameters_json"]);
        Assert.Equal("trail-bucket", row["src_bucket"]);
        Assert.Equal("test.json.gz", row["src_key"]);
        Assert.Equal(0, row["src_record_index"]);
        Assert.Equal(ReaderHarness.IngestTime, row["ingest_time"]);
    }

    [Fact]
    public async Task Assumed_role_without_session_issuer_falls_back_to_the_role_arn_from_the_session_arn()
    {
        var record = AssumedRoleDecrypt().Replace(
            "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROAEXAMPLEID\",\"arn\":\"arn:aws:iam::111122223333:role/service-role/app-role\",\"accountId\":\"111122223333\",\"userName\":\"app-role\"},",
            "\"sessionContext\":{",
            StringComparison.Ordinal);
        var row = await OneRowAsync(record);
        Assert.Equal("arn:aws:iam::111122223333:role/app-role", row["principal_arn"]);
        Assert.Equal("my-function", row["session_name"]);
        Assert.Null(row["session_issuer_arn"]);
    }

    [Fact]
    public async Task Sessions_of_one_role_become_one_principal()
    {
        var (_, rows) = await ReaderHarness.ReadGzipAsync(Document(
            AssumedRoleDecrypt("e1", "session-a"), AssumedRoleDecrypt("e2", "i-0123456789abcdef0"), AssumedRoleDecrypt("e3", "bob@example.com")));
        Assert.Single(rows.Select(r => r["principal_arn"]).Distinct());
        Assert.Equal(["session-a", "i-0123456789abcdef0", "bob@example.com"], rows.Select(r => (string?)r["session_name"]));
    }

    [Fact]
    public async Task Aws_service_caller_becomes_a_service_principal()
    {
        const string record = """
            {"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"},"eventTime":"2026-01-15T10:00:00Z","eventSource":"kms.amazonaws.com","eventName":"GenerateDataKey","awsRegion":"us-east-1","sourceIPAddress":"cloudtrail.amazonaws.com","userAgent":"cloudtrail.amazonaws.com","requestParameters":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","keySpec":"AES_256","encryptionContext":{"aws:cloudtrail:arn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/org"}},"responseElements":null,"requestID":"r","eventID":"svc-1","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","sharedEventID":"shared-9","eventCategory":"Management"}
            """;
        var row = await OneRowAsync(record);
        Assert.Equal("service:cloudtrail.amazonaws.com", row["principal_arn"]);
        Assert.Equal("service", row["principal_kind"]);
        Assert.Equal(true, row["is_aws_service_call"]);
        Assert.Equal(false, row["is_cross_account"]);
        Assert.Null(row["caller_account_id"]);
        Assert.Equal("AES_256", row["key_spec"]);
        Assert.Equal(KeyArn, row["key_ref"]);
        Assert.Equal("shared-9", row["dedupe_key"]);
    }

    [Theory]
    [InlineData(CloudTrailRecords.GenerateDataKeyPair, "RSA_3072")]
    [InlineData(CloudTrailRecords.LegacyCreateKey, "ECC_NIST_P256")]
    public async Task The_key_spec_is_read_under_each_name_kms_logs_it_with(string record, string spec)
    {
        Assert.Equal(spec, (await OneRowAsync(record))["key_spec"]);
    }

    [Fact]
    public async Task The_current_key_spec_name_wins_over_the_older_one_in_either_order()
    {
        var both = CloudTrailRecords.LegacyCreateKey.Replace("\"customerMasterKeySpec\":\"ECC_NIST_P256\",\"origin\"", "\"customerMasterKeySpec\":\"ECC_NIST_P256\",\"keySpec\":\"ECC_NIST_P384\",\"origin\"", StringComparison.Ordinal);
        var reversed = CloudTrailRecords.LegacyCreateKey.Replace("\"customerMasterKeySpec\":\"ECC_NIST_P256\",\"origin\"", "\"keySpec\":\"ECC_NIST_P384\",\"customerMasterKeySpec\":\"ECC_NIST_P256\",\"origin\"", StringComparison.Ordinal);
        Assert.NotEqual(CloudTrailRecords.LegacyCreateKey, both);

        Assert.Equal("ECC_NIST_P384", (await OneRowAsync(both))["key_spec"]);
        Assert.Equal("ECC_NIST_P384", (await OneRowAsync(reversed))["key_spec"]);
    }

    [Fact]
    public async Task A_reencrypt_gives_its_source_key_and_source_context()
    {
        var row = await OneRowAsync(CloudTrailRecords.ReEncrypt);

        Assert.Equal(KeyArn, row["key_arn"]);
        Assert.Equal("""{"Department":"Sales"}""", row["encryption_context_json"]);
        Assert.Contains("\"destinationEncryptionContext\":{\"Department\":\"Finance\"}", (string)row["request_parameters_json"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replica_policy_from_the_response_is_the_policy_of_a_replicate_key()
    {
        var row = await OneRowAsync(CloudTrailRecords.ReplicateKey);

        Assert.Equal("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:user/Mallory"},"Action":"kms:*","Resource":"*"}]}""", row["policy_json"]);
    }

    [Fact]
    public async Task Kms_scheduled_work_that_names_only_the_service_is_a_service_principal()
    {
        // Automatic rotation as the AWS KMS docs show it: userIdentity has no type, only the account and invokedBy.
        const string record = """
            {"eventVersion":"1.08","userIdentity":{"accountId":"111122223333","invokedBy":"kms.amazonaws.com"},"eventTime":"2026-01-15T03:00:00Z","eventSource":"kms.amazonaws.com","eventName":"RotateKey","awsRegion":"us-east-1","sourceIPAddress":"kms.amazonaws.com","userAgent":"kms.amazonaws.com","requestParameters":null,"responseElements":null,"additionalEventData":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},"requestID":"r","eventID":"rot-1","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"eventType":"AwsServiceEvent","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
            """;
        var row = await OneRowAsync(record);
        Assert.Equal("service:kms.amazonaws.com", row["principal_arn"]);
        Assert.Equal("service", row["principal_kind"]);
        Assert.Equal(true, row["is_aws_service_call"]);
        Assert.Equal(KeyArn, row["key_arn"]);
    }

    [Fact]
    public async Task A_federated_user_is_a_session_of_the_iam_user_that_federated_it()
    {
        const string record = """
            {"eventVersion":"1.08","userIdentity":{"type":"FederatedUser","principalId":"111122223333:bob","arn":"arn:aws:sts::111122223333:federated-user/bob","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEFED","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLEBROKER","arn":"arn:aws:iam::111122223333:user/federation-broker","accountId":"111122223333","userName":"federation-broker"},"attributes":{"creationDate":"2026-01-15T09:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-01-15T10:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2","requestParameters":{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"},"responseElements":null,"requestID":"r","eventID":"fed-1","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
            """;
        var row = await OneRowAsync(record);
        Assert.Equal("arn:aws:iam::111122223333:user/federation-broker", row["principal_arn"]);
        Assert.Equal("federated", row["principal_kind"]);
        Assert.Equal("bob", row["session_name"]);
    }

    [Fact]
    public async Task An_identity_center_user_is_named_by_the_identity_store_user_cloudtrail_gives()
    {
        // The shape AWS documents for trusted identity propagation: no arn and no principalId, only onBehalfOf.
        var record = WithIdentity(
            """{"type":"IdentityCenterUser","accountId":"111122223333","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac1","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-9067642ac7"},"credentialId":"EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"}""",
            "cn-north-1");
        var row = await OneRowAsync(record);
        Assert.Equal("arn:aws-cn:identitystore:::user/544894e8-80c1-707f-60e3-3ba6510dfac1", row["principal_arn"]);
        Assert.Equal("identity_center", row["principal_kind"]);
        Assert.Equal("111122223333", row["caller_account_id"]);
    }

    [Fact]
    public async Task Saml_and_web_identity_users_are_told_apart_and_named_by_their_principal_id()
    {
        var saml = await OneRowAsync(WithIdentity(
            """{"type":"SAMLUser","principalId":"SampleUkh1i4+ExamplexL/jEvs=:SamlExample","userName":"SamlExample","identityProvider":"bdGOnTesti4+ExamplexL/jEvs="}"""));
        Assert.Equal("saml", saml["principal_kind"]);
        Assert.Equal("SampleUkh1i4+ExamplexL/jEvs=:SamlExample", saml["principal_arn"]);
        Assert.Equal("SamlExample", saml["identity_user_name"]);

        var web = await OneRowAsync(WithIdentity(
            """{"type":"WebIdentityUser","principalId":"accounts.google.com:application-id.apps.googleusercontent.com:user-id","userName":"user-id","identityProvider":"accounts.google.com"}"""));
        Assert.Equal("web_identity", web["principal_kind"]);
        Assert.Equal("accounts.google.com:application-id.apps.googleusercontent.com:user-id", web["principal_arn"]);
    }

    /// <summary>The hand-written assumed-role Decrypt with another <c>userIdentity</c> (and region).</summary>
    private static string WithIdentity(string userIdentity, string region = "us-east-1")
    {
        var record = AssumedRoleDecrypt();
        var start = record.IndexOf("{\"type\":\"AssumedRole\"", StringComparison.Ordinal);
        var end = record.IndexOf(",\"eventTime\"", StringComparison.Ordinal);
        return (record[..start] + userIdentity + record[end..])
            .Replace("\"awsRegion\":\"us-east-1\"", $"\"awsRegion\":\"{region}\"", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Role_acting_through_a_service_keeps_the_role_and_is_marked_as_a_service_call()
    {
        var record = AssumedRoleDecrypt().Replace("\"accountId\":\"111122223333\",\"accessKeyId\"", "\"accountId\":\"111122223333\",\"invokedBy\":\"s3.amazonaws.com\",\"accessKeyId\"", StringComparison.Ordinal);
        var row = await OneRowAsync(record);
        Assert.Equal("s3.amazonaws.com", row["invoked_by"]);
        Assert.Equal("arn:aws:iam::111122223333:role/service-role/app-role", row["principal_arn"]);
        Assert.Equal(true, row["is_aws_service_call"]);
    }

    [Fact]
    public async Task Caller_from_another_account_is_cross_account_and_the_key_account_comes_from_the_key_arn()
    {
        var record = AssumedRoleDecrypt().Replace(KeyArn, OtherAccountKeyArn, StringComparison.Ordinal)
            .Replace("\"recipientAccountId\":\"111122223333\"", "\"recipientAccountId\":\"444455556666\",\"sharedEventID\":\"shared-1\"", StringComparison.Ordinal);
        var row = await OneRowAsync(record);
        Assert.Equal("444455556666", row["key_account_id"]);
        Assert.Equal("111122223333", row["caller_account_id"]);
        Assert.Equal("444455556666", row["recipient_account_id"]);
        Assert.Equal(true, row["is_cross_account"]);
        Assert.Equal("shared-1", row["dedupe_key"]);
    }

    [Fact]
    public async Task Hidden_caller_from_another_account_becomes_that_account()
    {
        var record = AssumedRoleDecrypt().Replace(
            AssumedRoleDecrypt()[(AssumedRoleDecrypt().IndexOf("{\"type\":\"AssumedRole\"", StringComparison.Ordinal))..(AssumedRoleDecrypt().IndexOf(",\"eventTime\"", StringComparison.Ordinal))],
            "{\"type\":\"AWSAccount\",\"principalId\":\"AIDAOTHER\",\"accountId\":\"444455556666\"}",
            StringComparison.Ordinal);
        var row = await OneRowAsync(record);
        Assert.Equal("arn:aws:iam::444455556666:root", row["principal_arn"]);
        Assert.Equal("account", row["principal_kind"]);
        Assert.Equal(true, row["is_cross_account"]);
    }

    [Theory]
    [InlineData("alias/app-key", null, null)]
    [InlineData("arn:aws:kms:us-east-1:111122223333:alias/app-key", null, null)]
    [InlineData("1234abcd-12ab-34cd-56ef-1234567890ab", null, "1234abcd-12ab-34cd-56ef-1234567890ab")]
    [InlineData("mrk-1234abcd12ab34cd56ef1234567890ab", null, "mrk-1234abcd12ab34cd56ef1234567890ab")]
    [InlineData(MrkKeyArn, MrkKeyArn, "mrk-1234abcd12ab34cd56ef1234567890ab")]
    public async Task Key_reference_without_resources_never_invents_a_key_arn(string keyRef, string? expectedArn, string? expectedId)
    {
        var record = $$"""
            {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2026-01-15T10:00:00.123Z","eventSource":"kms.amazonaws.com","eventName":"GenerateDataKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"cli","errorCode":"AccessDenied","errorMessage":"User is not authorized to perform: kms:GenerateDataKey","requestParameters":{"keyId":"{{keyRef}}","keySpec":"AES_256"},"responseElements":null,"requestID":"r","eventID":"k-1","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}
            """;
        var row = await OneRowAsync(record);
        Assert.Equal(keyRef, row["key_ref"]);
        Assert.Equal(expectedArn, row["key_arn"]);
        Assert.Equal(expectedId, row["key_id"]);
        Assert.Equal("AccessDenied", row["error_code"]);
        Assert.Equal("user", row["principal_kind"]);
        Assert.Equal("arn:aws:iam::111122223333:user/alice", row["principal_arn"]);
        Assert.Equal(new DateTime(2026, 1, 15, 10, 0, 0, 123, DateTimeKind.Utc), row["event_time"]);
        Assert.Equal(expectedArn is null ? null : "111122223333", row["key_account_id"]);
    }

    [Theory]
    [InlineData("\"resources\":null,")]
    [InlineData("\"resources\":[],")]
    [InlineData("")]
    public async Task Missing_or_null_resources_leave_the_key_unknown(string resources)
    {
        var record = AssumedRoleDecrypt().Replace($$"""
            "resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{KeyArn}}"}],
            """.Trim(), resources, StringComparison.Ordinal);
        var row = await OneRowAsync(record);
        Assert.Null(row["key_arn"]);
        Assert.Null(row["key_account_id"]);
        Assert.Equal(false, row["is_cross_account"]);
    }

    [Fact]
    public async Task Resource_arn_in_lower_case_and_without_type_is_recognised()
    {
        var record = AssumedRoleDecrypt().Replace($$"""{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"{{KeyArn}}"}""",
            $$"""{"accountId":"111122223333","arn":"{{KeyArn}}"}""", StringComparison.Ordinal);
        Assert.Equal(KeyArn, (await OneRowAsync(record))["key_arn"]);
    }

    [Fact]
    public async Task Put_key_policy_stores_the_policy_string_as_minified_json()
    {
        const string record = """
            {"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"eventTime":"2026-01-15T11:00:00Z","eventSource":"kms.amazonaws.com","eventName":"PutKeyPolicy","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"console","requestParameters":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","policyName":"default","policy":"{\n  \"Version\" : \"2012-10-17\",\n  \"Statement\" : [ {\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"kms:*\",\"Resource\":\"*\"} ]\n}","bypassPolicyLockoutSafetyCheck":true},"responseElements":null,"requestID":"r","eventID":"pol-1","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
            """;
        var row = await OneRowAsync(record);
        Assert.Equal("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}""", row["policy_json"]);
        Assert.Equal(true, row["bypass_policy_lockout_safety_check"]);
        Assert.Equal("root", row["principal_kind"]);
        Assert.Equal(false, row["read_only"]);
    }

    [Fact]
    public async Task A_policy_given_as_a_json_object_instead_of_a_string_is_kept()
    {
        var record = AssumedRoleDecrypt().Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"PutKeyPolicy\"", StringComparison.Ordinal)
            .Replace("\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"", "\"policy\":{ \"Statement\": [ {\"Effect\":\"Allow\"} ] }", StringComparison.Ordinal);
        Assert.Equal("""{"Statement":[{"Effect":"Allow"}]}""", (await OneRowAsync(record))["policy_json"]);
    }

    [Theory]
    [InlineData("2026-01-15 10:05:12")]
    [InlineData("2026-01-15 10:05:12.000")]
    public async Task Timestamps_without_t_and_zone_as_in_some_published_samples_are_read_as_utc(string time)
    {
        Assert.Equal(new DateTime(2026, 1, 15, 10, 5, 12, DateTimeKind.Utc), (await OneRowAsync(AssumedRoleDecrypt(time: time)))["event_time"]);
    }

    [Fact]
    public async Task Create_grant_and_schedule_key_deletion_fields_get_their_own_columns()
    {
        const string grant = """
            {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"eventTime":"2026-01-15T12:00:00Z","eventSource":"kms.amazonaws.com","eventName":"CreateGrant","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"cli","requestParameters":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","granteePrincipal":"arn:aws:iam::999988887777:role/outsider","operations":["Decrypt","GenerateDataKey"]},"responseElements":{"grantId":"g1"},"requestID":"r","eventID":"grant-1","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}
            """;
        const string deletion = """
            {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"eventTime":"2026-01-15T12:01:00Z","eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"cli","requestParameters":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab"},"responseElements":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","deletionDate":"Jan 22, 2026, 12:01:00 PM","keyState":"PendingDeletion","pendingWindowInDays":7},"requestID":"r","eventID":"del-1","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}
            """;
        var (_, rows) = await ReaderHarness.ReadGzipAsync(Document(grant, deletion));
        Assert.Equal("arn:aws:iam::999988887777:role/outsider", rows[0]["grantee_principal"]);
        Assert.Equal("Decrypt,GenerateDataKey", rows[0]["grant_operations"]);
        Assert.Equal(KeyArn, rows[0]["key_arn"]);
        Assert.Equal(7, rows[1]["pending_window_days"]);
        Assert.Equal(KeyArn, rows[1]["key_arn"]);
        Assert.Equal("1234abcd-12ab-34cd-56ef-1234567890ab", rows[1]["key_ref"]);
        Assert.Equal(1, rows[1]["src_record_index"]);
    }

    [Fact]
    public async Task Create_key_takes_the_key_arn_from_the_response_metadata()
    {
        const string record = """
            {"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"eventTime":"2026-01-15T12:00:00Z","eventSource":"kms.amazonaws.com","eventName":"CreateKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"cli","requestParameters":{"keySpec":"SYMMETRIC_DEFAULT","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"},"responseElements":{"keyMetadata":{"AWSAccountId":"111122223333","keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","arn":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","keyState":"Enabled"}},"requestID":"r","eventID":"ck-1","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}
            """;
        var row = await OneRowAsync(record);
        Assert.Equal(KeyArn, row["key_arn"]);
        Assert.Equal("""{"Version":"2012-10-17","Statement":[]}""", row["policy_json"]);
    }

    [Fact]
    public async Task Keys_in_any_order_pretty_printed_and_with_unknown_fields_give_the_same_row()
    {
        var compact = await OneRowAsync(AssumedRoleDecrypt());
        var doc = System.Text.Json.Nodes.JsonNode.Parse(AssumedRoleDecrypt())!.AsObject();
        var reordered = new System.Text.Json.Nodes.JsonObject();
        foreach (var (k, v) in doc.Reverse().ToList())
        {
            doc.Remove(k);
            reordered[k] = v;
        }

        reordered["someFutureField"] = new System.Text.Json.Nodes.JsonObject { ["eventSource"] = "s3.amazonaws.com" };
        var pretty = reordered.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var (_, rows) = await ReaderHarness.ReadJsonAsync("  {\n \"Other\": [1, {\"a\": \"]}\"}],\n \"Records\" : [\n" + pretty + "\n ] , \"x\": null }\n");
        var row = Assert.Single(rows);
        foreach (var (column, value) in compact)
        {
            Assert.True(Equals(value, row[column]), $"column {column}: '{value}' vs '{row[column]}'");
        }
    }

    [Fact]
    public async Task Only_records_whose_event_source_is_kms_are_kept()
    {
        var (result, rows) = await ReaderHarness.ReadGzipAsync(Document(Ec2Record(), S3RecordMentioningKms(), AssumedRoleDecrypt()));
        Assert.Equal(3, result.Records);
        Assert.Equal(1, result.KmsRecords);
        Assert.Equal("Decrypt", Assert.Single(rows)["event_name"]);
        Assert.Equal(2, Assert.Single(rows)["src_record_index"]);
    }

    [Fact]
    public async Task Escaped_event_source_is_still_recognised_as_kms()
    {
        var record = AssumedRoleDecrypt().Replace("\"eventSource\":\"kms.amazonaws.com\"", "\"eventSource\":\"kms\\u002eamazonaws\\u002ecom\"", StringComparison.Ordinal);
        Assert.Single((await ReaderHarness.ReadJsonAsync(Document(record))).Rows);
    }

    [Fact]
    public async Task Escaped_strings_are_unescaped_in_columns()
    {
        var record = AssumedRoleDecrypt().Replace("aws-sdk-go/1.44", "agent \\\"quoted\\\" \\u00e9", StringComparison.Ordinal);
        Assert.Equal("agent \"quoted\" é", (await OneRowAsync(record))["user_agent"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Text_beyond_ascii_raw_or_escaped_is_stored_as_valid_utf8_in_every_column(bool escapedElsewhere)
    {
        // Without an escape the fast scanner keeps slices of the record; with one the reader unescapes into its own
        // buffer. Either way the projection stores values without checking them again (the record was checked whole),
        // so every stored value must come out valid: session names and ARNs split at ASCII delimiters, joins, JSON.
        var session = "s\u00e9ance-日本-😀";
        var record = CloudTrailRecords.AssumedRoleDecrypt(session: escapedElsewhere ? session : "séance-日本-😀")
            .Replace("aws-sdk-go/1.44", escapedElsewhere ? "agent \\ud83d\\ude00 é" : "agent 😀 é", StringComparison.Ordinal)
            .Replace("\"keyMaterialId\":\"aa11\"", "\"note\":\"größe \\ud800 日本\"", StringComparison.Ordinal);
        var source = SourceContext.ForS3("trail-bucket", "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/ünïcode.json.gz", ReaderHarness.IngestTime);
        var collector = new KmsRecordCollector(source);
        using (var stream = new MemoryStream(CloudTrailRecords.Gzip(Document(record))))
        {
            await CloudTrailObjectReader.ReadAsync(stream, collector, source, null, CancellationToken.None);
        }

        var batch = collector.Batch;
        Assert.Equal(1, batch.Count);
        foreach (var column in KmsSchema.Columns.Where(c => c.Kind == ColumnKind.String))
        {
            Assert.True(Utf8.IsValid(batch.GetUtf8(column.Slot, 0)), $"{column.Name} is not valid UTF-8");
        }

        Assert.Equal("séance-日本-😀", batch.GetString(KmsSchema.SessionName, 0));
        Assert.Equal("agent 😀 é", batch.GetString(KmsSchema.UserAgent, 0));
        Assert.Contains("größe \\ud800 日本", batch.GetString(KmsSchema.AdditionalEventDataJson, 0), StringComparison.Ordinal);
    }
}
