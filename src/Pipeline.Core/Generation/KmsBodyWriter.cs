using System.Text.Json;

namespace Pipeline.Generation;

/// <summary>
/// requestParameters / responseElements / additionalEventData / resources of KMS records, shaped like the examples
/// in the AWS KMS developer guide (keyId often absent on symmetric Decrypt, policy as a JSON string, human dates).
/// </summary>
internal static class KmsBodyWriter
{
    public static readonly string[] Names = Enum.GetNames<KmsOperation>();

    private static readonly string[][] GrantOperations =
    [
        ["Decrypt", "GenerateDataKeyWithoutPlaintext"],
        ["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "DescribeKey"],
        ["Decrypt", "RetireGrant"],
    ];

    public static string? PickError(KmsOperation op, GenRandom rng)
    {
        var p = op == KmsOperation.Decrypt ? 0.03 : 0.005;
        return rng.Chance(p) ? (rng.Chance(0.6) ? "AccessDenied" : "AccessDeniedException") : null;
    }

    public static string ErrorMessage(string code, RecordContext ctx, string action)
    {
        var who = ctx.Principal.Kind == PrincipalKind.AssumedRole
            ? $"arn:aws:sts::{ctx.CallerAccountId}:assumed-role/{ctx.Principal.Name}/{ctx.Session}"
            : ctx.Principal.Arn ?? $"arn:aws:iam::{ctx.CallerAccountId}:root";
        return code switch
        {
            "AccessDenied" => $"User: {who} is not authorized to perform: {action} on resource: {ctx.Key?.Arn ?? "*"} because no identity-based policy allows the {action} action",
            "KMSInvalidStateException" => $"{ctx.Key?.Arn ?? "The key"} is pending deletion.",
            _ => "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.",
        };
    }

    public static void WriteBody(Utf8JsonWriter w, KmsOperation op, RecordContext ctx, bool failed)
    {
        var rng = ctx.Rng;
        var key = ctx.Key;
        switch (op)
        {
            case KmsOperation.Decrypt:
                w.WriteStartObject(JsonNames.RequestParameters);
                if (key is not null && rng.Chance(0.2))
                {
                    w.WriteString(JsonNames.KeyId, KeyRef(key, rng));
                }

                WriteContext(w, JsonNames.EncryptionContext, ctx);
                w.WriteString(JsonNames.EncryptionAlgorithm, JsonNames.SymmetricDefault);
                w.WriteEndObject();
                w.WriteNull(JsonNames.ResponseElements);
                if (!failed && rng.Chance(0.5))
                {
                    WriteKeyMaterial(w, key, rng);
                }

                return;
            case KmsOperation.Encrypt:
                w.WriteStartObject(JsonNames.RequestParameters);
                w.WriteString(JsonNames.KeyId, KeyRef(key!, rng));
                WriteContext(w, JsonNames.EncryptionContext, ctx);
                w.WriteString(JsonNames.EncryptionAlgorithm, JsonNames.SymmetricDefault);
                w.WriteEndObject();
                w.WriteNull(JsonNames.ResponseElements);
                return;
            case KmsOperation.GenerateDataKey or KmsOperation.GenerateDataKeyWithoutPlaintext:
                w.WriteStartObject(JsonNames.RequestParameters);
                w.WriteString(JsonNames.KeyId, KeyRef(key!, rng));
                if (rng.Chance(0.9))
                {
                    w.WriteString(JsonNames.KeySpec, "AES_256");
                }
                else
                {
                    w.WriteNumber("numberOfBytes", 32);
                }

                WriteContext(w, JsonNames.EncryptionContext, ctx);
                w.WriteEndObject();
                w.WriteNull(JsonNames.ResponseElements);
                if (!failed && rng.Chance(0.5))
                {
                    WriteKeyMaterial(w, key, rng);
                }

                return;
            case KmsOperation.ReEncrypt:
                w.WriteStartObject(JsonNames.RequestParameters);
                WriteContext(w, "sourceEncryptionContext", ctx);
                w.WriteString("destinationKeyId", ctx.Stream?.DestinationKeyArn ?? KeyRef(key!, rng));
                WriteContext(w, "destinationEncryptionContext", ctx);
                w.WriteString("sourceEncryptionAlgorithm", JsonNames.SymmetricDefault);
                w.WriteString("destinationEncryptionAlgorithm", JsonNames.SymmetricDefault);
                w.WriteEndObject();
                w.WriteNull(JsonNames.ResponseElements);
                return;
            case KmsOperation.ListAliases or KmsOperation.ListKeys:
                if (rng.Chance(0.5))
                {
                    w.WriteStartObject(JsonNames.RequestParameters);
                    w.WriteNumber("limit", 100);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull(JsonNames.RequestParameters);
                }

                w.WriteNull(JsonNames.ResponseElements);
                return;
            case KmsOperation.CreateGrant when ctx.Stream?.Grantee is { } plantedGrantee:
                w.WriteStartObject(JsonNames.RequestParameters);
                w.WriteString(JsonNames.KeyId, key!.Arn);
                w.WriteString("granteePrincipal", plantedGrantee);
                w.WriteStartArray("operations");
                w.WriteStringValue("Decrypt");
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteStartObject(JsonNames.ResponseElements);
                w.WriteString("grantId", rng.Hex(64));
                w.WriteString(JsonNames.KeyId, key.Arn);
                w.WriteEndObject();
                return;
            case KmsOperation.CreateGrant:
                w.WriteStartObject(JsonNames.RequestParameters);
                w.WriteString(JsonNames.KeyId, KeyRef(key!, rng));
                var grantee = rng.Chance(0.8)
                    ? $"arn:aws:iam::{ctx.CallerAccountId}:role/{ctx.Population.Accounts[0].Name}-app-server"
                    : $"arn:aws:iam::{ctx.Population.Accounts[rng.Next(ctx.Population.Accounts.Count)].Id}:role/backup-restore";
                w.WriteString("granteePrincipal", grantee);
                w.WriteStartArray("operations");
                foreach (var o in GrantOperations[rng.Next(GrantOperations.Length)])
                {
                    w.WriteStringValue(o);
                }

                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteStartObject(JsonNames.ResponseElements);
                w.WriteString("grantId", rng.Hex(64));
                w.WriteString(JsonNames.KeyId, key!.Arn);
                w.WriteEndObject();
                return;
            case KmsOperation.PutKeyPolicy:
                w.WriteStartObject(JsonNames.RequestParameters);
                w.WriteString(JsonNames.KeyId, rng.Chance(0.5) ? key!.Arn : key!.KeyId);
                w.WriteString("policyName", "default");
                var open = ctx.Stream?.OpenPolicy == true;
                w.WriteString("policy", open ? OpenPolicy(key.Account.Id) : Policy(ctx, key.Account.Id, rng));
                w.WriteBoolean("bypassPolicyLockoutSafetyCheck", open);
                w.WriteEndObject();
                w.WriteNull(JsonNames.ResponseElements);
                return;
            case KmsOperation.CreateKey:
                WriteCreateKey(w, ctx, rng);
                return;
            case KmsOperation.ScheduleKeyDeletion:
                var window = ctx.Stream?.PendingWindowInDays ?? rng.Next(7, 31);
                w.WriteStartObject(JsonNames.RequestParameters);
                w.WriteString(JsonNames.KeyId, KeyRef(key!, rng));
                w.WriteNumber("pendingWindowInDays", window);
                w.WriteEndObject();
                if (failed)
                {
                    w.WriteNull(JsonNames.ResponseElements);
                    return;
                }

                w.WriteStartObject(JsonNames.ResponseElements);
                w.WriteString(JsonNames.KeyId, key!.Arn);
                w.WriteString("deletionDate", TimeText.Human(ctx.Time.Date.AddDays(window + 1)));
                w.WriteString("keyState", "PendingDeletion");
                w.WriteNumber("pendingWindowInDays", window);
                w.WriteEndObject();
                return;
            case KmsOperation.ReplicateKey:
                WriteReplicateKey(w, ctx, rng);
                return;
            case KmsOperation.ImportKeyMaterial:
                // The wrapped material and the import token are not logged.
                w.WriteStartObject(JsonNames.RequestParameters);
                w.WriteString(JsonNames.KeyId, KeyRef(key!, rng));
                w.WriteString("expirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
                w.WriteEndObject();
                w.WriteNull(JsonNames.ResponseElements);
                return;
            case KmsOperation.DisconnectCustomKeyStore:
                // Names the store, not a key: every key in it stops working until the store is connected again.
                w.WriteStartObject(JsonNames.RequestParameters);
                w.WriteString("customKeyStoreId", "cks-" + rng.Hex(17));
                w.WriteEndObject();
                w.WriteNull(JsonNames.ResponseElements);
                return;
            case KmsOperation.DeleteKey:
                // KMS's own event: nothing was requested; entries since December 2022 name the key in the response.
                w.WriteNull(JsonNames.RequestParameters);
                w.WriteStartObject(JsonNames.ResponseElements);
                w.WriteString(JsonNames.KeyId, key!.Arn);
                w.WriteEndObject();
                return;
            case KmsOperation.CreateAlias or KmsOperation.UpdateAlias:
                w.WriteStartObject(JsonNames.RequestParameters);
                w.WriteString("aliasName", key!.Alias ?? $"alias/{key.Account.Name}-new-{rng.LowerAlnumString(4)}");
                w.WriteString("targetKeyId", key.KeyId);
                w.WriteEndObject();
                w.WriteNull(JsonNames.ResponseElements);
                return;
            default:
                // DescribeKey, Enable/DisableKey, Enable/DisableKeyRotation, CancelKeyDeletion: just the key.
                w.WriteStartObject(JsonNames.RequestParameters);
                w.WriteString(JsonNames.KeyId, KeyRef(key!, rng));
                if (op == KmsOperation.EnableKeyRotation && rng.Chance(0.5))
                {
                    w.WriteNumber("rotationPeriodInDays", 365);
                }

                w.WriteEndObject();
                if (op == KmsOperation.CancelKeyDeletion)
                {
                    w.WriteStartObject(JsonNames.ResponseElements);
                    w.WriteString(JsonNames.KeyId, key!.Arn);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull(JsonNames.ResponseElements);
                }

                return;
        }
    }

    /// <summary>Writes resources[]; returns the key ARN written there, or null when the record has none.</summary>
    public static string? WriteResources(Utf8JsonWriter w, KmsOperation op, RecordContext ctx, bool failed)
    {
        var rng = ctx.Rng;
        var key = ctx.Key;
        // Scripted scenario calls always name their key, so the answer key's per-key counts are exact.
        if (key is null || op == KmsOperation.DisconnectCustomKeyStore || (ctx.Stream is null && ((failed && rng.Chance(0.5)) || rng.Chance(0.01))))
        {
            return null; // List* calls, failed calls and a few odd records carry no resources at all
        }

        var typed = rng.Chance(0.8); // recent KMS examples omit "type"
        w.WriteStartArray(JsonNames.Resources);
        WriteResource(w, key.Account.Id, typed ? JsonNames.KmsKeyType : default, key.Arn);
        if (op == KmsOperation.ReEncrypt)
        {
            // The source key, then the destination key.
            var destination = ctx.Stream?.DestinationKeyArn ?? key.Arn;
            WriteResource(w, destination.Split(':')[4], typed ? JsonNames.KmsKeyType : default, destination);
        }
        else if (op is KmsOperation.CreateAlias or KmsOperation.UpdateAlias && key.AliasArn is not null)
        {
            WriteResource(w, key.Account.Id, default, key.AliasArn);
        }

        w.WriteEndArray();
        return key.Arn;
    }

    private static void WriteResource(Utf8JsonWriter w, string account, JsonEncodedText type, string arn)
    {
        w.WriteStartObject();
        w.WriteString(JsonNames.AccountId, account);
        if (type.EncodedUtf8Bytes.Length > 0)
        {
            w.WriteString(JsonNames.Type, type);
        }

        w.WriteString(JsonNames.ArnUpper, arn);
        w.WriteEndObject();
    }

    /// <summary>The many ways callers name a key: alias, alias ARN, key ARN, bare key id (uuid or mrk-).</summary>
    private static string KeyRef(KmsKey key, GenRandom rng)
    {
        if (key.Account.Index < 0)
        {
            return key.Arn; // a key of another account can only be named by ARN
        }

        var u = rng.Next(10);
        return u switch
        {
            < 3 when key.Alias is not null => key.Alias,
            3 when key.AliasArn is not null => key.AliasArn,
            < 7 => key.Arn,
            _ => key.KeyId,
        };
    }

    private static void WriteKeyMaterial(Utf8JsonWriter w, KmsKey? key, GenRandom rng)
    {
        w.WriteStartObject(JsonNames.AdditionalEventData);
        // Stable per key: the material id identifies the key's current backing key, not the call.
        w.WriteString(JsonNames.KeyMaterialId, key is null ? rng.Hex(64) : key.KeyMaterialId);
        w.WriteEndObject();
    }

    private static void WriteContext(Utf8JsonWriter w, JsonEncodedText name, RecordContext ctx) => WriteContextCore(w, name.EncodedUtf8Bytes, ctx);

    private static void WriteContext(Utf8JsonWriter w, string name, RecordContext ctx) => WriteContextCore(w, System.Text.Encoding.UTF8.GetBytes(name), ctx);

    private static void WriteContextCore(Utf8JsonWriter w, ReadOnlySpan<byte> name, RecordContext ctx)
    {
        var rng = ctx.Rng;
        var region = ctx.Region;
        var acct = ctx.CallerAccountId;
        switch (ctx.Principal.Profile)
        {
            case UsageProfile.LambdaEnvironment:
                w.WriteStartObject(name);
                w.WriteString("aws:lambda:FunctionArn", $"arn:aws:lambda:{region}:{acct}:function:{(ctx.Principal.SessionNames.Count > 0 ? ctx.Principal.SessionNames[0] : ctx.Session)}");
                w.WriteEndObject();
                return;
            case UsageProfile.S3OnBehalf:
                w.WriteStartObject(name);
                w.WriteString("aws:s3:arn", $"arn:aws:s3:::{ctx.Principal.Account!.Name}-data-{acct}/raw/{ctx.Time:yyyy/MM/dd}/part-{rng.Digits(5)}.parquet");
                w.WriteEndObject();
                return;
            case UsageProfile.Ebs:
                w.WriteStartObject(name);
                w.WriteString("aws:ebs:id", "vol-0" + rng.Hex(16));
                w.WriteEndObject();
                return;
            case UsageProfile.SecretsManager:
                w.WriteStartObject(name);
                w.WriteString("SecretARN", $"arn:aws:secretsmanager:{region}:{acct}:secret:prod/db/password-{rng.AlnumString(6)}");
                w.WriteString("SecretVersionId", rng.NextGuid());
                w.WriteEndObject();
                return;
            case UsageProfile.CloudTrailService:
                var logArchive = ctx.Population.LogArchive.Id;
                w.WriteStartObject(name);
                w.WriteString("aws:cloudtrail:arn", $"arn:aws:cloudtrail:{ctx.Population.Regions[0]}:{logArchive}:trail/{ctx.Population.TrailName}");
                w.WriteString("aws:s3:arn", $"arn:aws:s3:::{ctx.Population.Bucket}/AWSLogs/{ctx.Population.OrganizationId}/{ctx.Population.Accounts[rng.Next(ctx.Population.Accounts.Count)].Id}/CloudTrail/{region}/{ctx.Time:yyyy/MM/dd}/");
                w.WriteEndObject();
                return;
            default:
                if (rng.Chance(0.3))
                {
                    return; // no encryption context at all
                }

                w.WriteStartObject(name);
                w.WriteString("tenant", "t-" + rng.Digits(4));
                w.WriteString("purpose", rng.Chance(0.5) ? "session-token" : "pii-field");
                w.WriteEndObject();
                return;
        }
    }

    private static void WriteCreateKey(Utf8JsonWriter w, RecordContext ctx, GenRandom rng)
    {
        var acct = ctx.CallerAccountId;
        var multi = rng.Chance(0.2);
        var id = multi ? "mrk-" + rng.Hex(32) : rng.NextGuid().ToString();
        var arn = $"arn:aws:kms:{ctx.Region}:{acct}:key/{id}";
        w.WriteStartObject(JsonNames.RequestParameters);
        w.WriteString("keyUsage", "ENCRYPT_DECRYPT");
        w.WriteString(JsonNames.KeySpec, "SYMMETRIC_DEFAULT");
        w.WriteString("origin", "AWS_KMS");
        w.WriteBoolean("bypassPolicyLockoutSafetyCheck", false);
        w.WriteString("policy", Policy(ctx, acct, rng));
        w.WriteString("description", "Created by Terraform");
        w.WriteBoolean("multiRegion", multi);
        w.WriteEndObject();
        w.WriteStartObject(JsonNames.ResponseElements);
        w.WriteStartObject("keyMetadata");
        w.WriteString("aWSAccountId", acct);
        w.WriteString(JsonNames.KeyId, id);
        w.WriteString(JsonNames.Arn, arn);
        w.WriteString(JsonNames.CreationDate, TimeText.Human(ctx.Time));
        w.WriteBoolean("enabled", true);
        w.WriteString("description", "Created by Terraform");
        w.WriteString("keyUsage", "ENCRYPT_DECRYPT");
        w.WriteString("keyState", "Enabled");
        w.WriteString("origin", "AWS_KMS");
        w.WriteString("keyManager", "CUSTOMER");
        w.WriteString("customerMasterKeySpec", "SYMMETRIC_DEFAULT");
        w.WriteString(JsonNames.KeySpec, "SYMMETRIC_DEFAULT");
        w.WriteStartArray("encryptionAlgorithms");
        w.WriteStringValue("SYMMETRIC_DEFAULT");
        w.WriteEndArray();
        w.WriteBoolean("multiRegion", multi);
        w.WriteEndObject();
        w.WriteEndObject();
        ctx.Key = new KmsKey(ctx.Principal.Account ?? ctx.Population.Accounts[0], ctx.Region, id, null);
    }

    /// <summary>
    /// ReplicateKey of a multi-Region primary (logged in the primary's region): request with the replica Region,
    /// response with the replica's metadata, whose ARN keeps the mrk- id.
    /// </summary>
    private static void WriteReplicateKey(Utf8JsonWriter w, RecordContext ctx, GenRandom rng)
    {
        var key = ctx.Key!;
        var replicaRegion = ctx.Stream?.ReplicaRegion ?? "ap-southeast-2";
        var replicaArn = $"arn:aws:kms:{replicaRegion}:{key.Account.Id}:key/{key.KeyId}";
        w.WriteStartObject(JsonNames.RequestParameters);
        w.WriteString(JsonNames.KeyId, key.Arn);
        w.WriteString("replicaRegion", replicaRegion);
        w.WriteBoolean("bypassPolicyLockoutSafetyCheck", false);
        w.WriteString("description", "");
        w.WriteEndObject();
        w.WriteStartObject(JsonNames.ResponseElements);
        w.WriteStartObject("replicaKeyMetadata");
        w.WriteString("aWSAccountId", key.Account.Id);
        w.WriteString(JsonNames.KeyId, key.KeyId);
        w.WriteString(JsonNames.Arn, replicaArn);
        w.WriteString(JsonNames.CreationDate, TimeText.Human(ctx.Time));
        w.WriteBoolean("enabled", false);
        w.WriteString("description", "");
        w.WriteString("keyUsage", "ENCRYPT_DECRYPT");
        w.WriteString("keyState", "Creating");
        w.WriteString("origin", "AWS_KMS");
        w.WriteString("keyManager", "CUSTOMER");
        w.WriteString("customerMasterKeySpec", "SYMMETRIC_DEFAULT");
        w.WriteString(JsonNames.KeySpec, "SYMMETRIC_DEFAULT");
        w.WriteStartArray("encryptionAlgorithms");
        w.WriteStringValue("SYMMETRIC_DEFAULT");
        w.WriteEndArray();
        w.WriteBoolean("multiRegion", true);
        w.WriteStartObject("multiRegionConfiguration");
        w.WriteString("multiRegionKeyType", "REPLICA");
        w.WriteStartObject("primaryKey");
        w.WriteString(JsonNames.Arn, key.Arn);
        w.WriteString("region", key.Region);
        w.WriteEndObject();
        w.WriteStartArray("replicaKeys");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteString("replicaPolicy", Policy(ctx, key.Account.Id, rng));
        w.WriteEndObject();
    }

    /// <summary>
    /// The planted dangerous policy: anyone may Decrypt (Principal AWS "*" with no Condition). Compact, as the CLI
    /// sends a policy file's text unchanged.
    /// </summary>
    private static string OpenPolicy(string keyAccount) =>
        "{\"Version\":\"2012-10-17\",\"Id\":\"key-policy-1\",\"Statement\":[{\"Sid\":\"Enable IAM User Permissions\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::"
        + keyAccount + ":root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"},{\"Sid\":\"AllowDecryptForEveryone\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":[\"kms:Decrypt\",\"kms:DescribeKey\"],\"Resource\":\"*\"}]}";

    /// <summary>A key policy document; KMS logs it as a JSON string inside requestParameters.</summary>
    private static string Policy(RecordContext ctx, string keyAccount, GenRandom rng)
    {
        var extra = rng.Chance(0.15)
            ? ",{\"Sid\":\"Allow use by partner\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" + "7" + rng.Digits(11) + ":root\"},\"Action\":[\"kms:Decrypt\",\"kms:DescribeKey\"],\"Resource\":\"*\"}"
            : "";
        return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::"
            + keyAccount + ":root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }, {\n    \"Sid\" : \"Allow use of the key\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::"
            + keyAccount + ":role/" + ctx.Population.Accounts[0].Name + "-app-server\"\n    },\n    \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:GenerateDataKey*\" ],\n    \"Resource\" : \"*\",\n    \"Condition\" : {\n      \"StringEquals\" : {\n        \"aws:PrincipalOrgID\" : \""
            + ctx.Population.OrganizationId + "\"\n      }\n    }\n  }" + extra + " ]\n}";
    }
}
